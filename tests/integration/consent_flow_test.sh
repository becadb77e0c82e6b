#!/usr/bin/env bash
# The consent flow with real processes: the agency requests consent through its connector, the
# citizen portal's member decides through the hub's citizen API, the hub notifies the connector,
# which passes it to the agency's webhook; receipts verify with npm jose. The scenarios are in
# consent_flow.test.mjs.
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
interop="$src/tests/interop"
if [[ ! -d "$interop/node_modules/jose" ]]; then
  npm ci --prefix "$interop" --no-audit --no-fund >/dev/null 2>&1 ||
    { echo "npm ci in $interop failed (is the npm registry reachable?)"; exit 1; }
fi
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 280 node --test --test-reporter=spec \
  "$src/tests/integration/consent_flow.test.mjs"
