#!/usr/bin/env bash
# The log API's reads on their own connections: search_too_broad over the scan limit, and
# exchanges beside worst-case searches. The scenarios are in log_read.test.mjs.
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 280 node --test --test-reporter=spec \
  "$src/tests/integration/log_read.test.mjs"
