#!/usr/bin/env bash
# The consumer connector's local API as the agency's own system meets it: its bearer token, and
# the officer and case references it passes into the evidence log. The scenarios are in
# local_api.test.mjs.
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 180 node --test --test-reporter=spec \
  "$src/tests/integration/local_api.test.mjs"
