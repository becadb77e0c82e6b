#!/usr/bin/env bash
# Hardening of the hub's guards: a rate limit checked and counted in one step, under 32
# parallel requests. The scenarios are in hardening.test.mjs.
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 180 node --test --test-reporter=spec \
  "$src/tests/integration/hardening.test.mjs"
