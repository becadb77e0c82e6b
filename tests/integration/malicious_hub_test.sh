#!/usr/bin/env bash
# A hub that lies: a real consumer connector and a real provider connector, and between them a
# harness on the hub's port that holds the hub's own keys and forges, swaps and replays. Every
# attempt must be refused by the connector it targets. The scenarios are in malicious_hub.test.mjs.
set -euo pipefail
saphan=$1
src=$2
interop_dir="$src/tests/interop"
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
command -v openssl >/dev/null || { echo "openssl is required (tools/setup installs it)"; exit 1; }
if [[ ! -d "$interop_dir/node_modules/jose" ]]; then
  command -v npm >/dev/null || { echo "npm is required (tools/setup installs it)"; exit 1; }
  npm ci --prefix "$interop_dir" --no-audit --no-fund >/dev/null 2>&1 ||
    { echo "npm ci in $interop_dir failed (is the npm registry reachable?)"; exit 1; }
fi
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 180 node --test --test-reporter=spec \
  "$src/tests/integration/malicious_hub.test.mjs"
