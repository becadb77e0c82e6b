#!/usr/bin/env bash
# Trust end to end: the CA apart from the hub, registered and revoked certificates, suspended
# members, peers checked by member on every connection. The scenarios are in trust.test.mjs.
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 180 node --test --test-reporter=spec \
  "$src/tests/integration/trust.test.mjs"
