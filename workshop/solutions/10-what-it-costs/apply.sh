#!/usr/bin/env bash
# Puts the solution of module 10's exercise in workshop/my-work/.
set -euo pipefail
cd "$(dirname "$0")"
cp 10-cost.sh ../../my-work/
