#!/usr/bin/env bash
# saphan console in Chromium: the auditor console and the citizen portal against a real hub,
# connectors, TSA and the demo OpenID provider. The scenarios are in console.test.mjs.
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
[[ -x /usr/bin/chromium ]] || { echo "chromium is required (tools/setup installs it)"; exit 1; }
for d in tests/browser tools/oidc-demo tools/console-assets; do
  [[ -d "$src/$d/node_modules" ]] || { echo "npm packages missing in $d: run tools/setup"; exit 1; }
done
mkdir -p "${SCREENSHOT_DIR:-/tmp}"
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 280 node --test --test-reporter=spec \
  "$src/tests/browser/console.test.mjs"
