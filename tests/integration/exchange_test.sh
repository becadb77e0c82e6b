#!/usr/bin/env bash
# The exchange path end to end: real hub and connector processes, real TLS, loopback, random
# ports. The scenarios are in exchange.test.mjs (Node's built-in test runner).
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 240 node --test --test-reporter=spec \
  "$src/tests/integration/exchange.test.mjs"
