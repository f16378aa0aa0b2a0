#!/usr/bin/env bash
# Applies the solution of module 9's exercise to this copy of the project (see apply.mjs).
set -euo pipefail
node "$(dirname "$0")/apply.mjs"
