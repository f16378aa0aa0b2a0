#!/usr/bin/env bash
# Puts the solution of module 7's exercise in workshop/my-work/.
set -euo pipefail
cd "$(dirname "$0")"
cp 07-metrics.sh ../../my-work/
