#!/usr/bin/env bash
# Puts the solution of module 4's exercise in workshop/my-work/.
set -euo pipefail
cd "$(dirname "$0")"
cp 04-race.sh ../../my-work/
