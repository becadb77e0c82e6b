#!/usr/bin/env bash
# Rotation without downtime: certificates replaced under load (SIGHUP), the old ones revoked
# and refused afterwards. The scenario is in rotation.test.mjs.
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 180 node --test --test-reporter=spec \
  "$src/tests/integration/rotation.test.mjs"
