#!/usr/bin/env bash
# Puts the solution of module 5's exercise in workshop/my-work/ and runs it.
set -euo pipefail
cd "$(dirname "$0")"
cp 05-redrive.sh ../../my-work/
cd ../../..
bash workshop/my-work/05-redrive.sh
