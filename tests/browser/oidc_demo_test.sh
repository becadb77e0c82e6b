#!/usr/bin/env bash
# The demo OpenID provider (tools/oidc-demo): sign-in in Chromium, code flow with PKCE, the ID
# token checked with npm jose. The scenarios are in oidc_demo.test.mjs.
set -euo pipefail
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
[[ -x /usr/bin/chromium ]] || { echo "chromium is required (tools/setup installs it)"; exit 1; }
[[ -d "$src/tests/browser/node_modules" && -d "$src/tools/oidc-demo/node_modules" ]] ||
  { echo "npm packages missing: run tools/setup"; exit 1; }
mkdir -p "${SCREENSHOT_DIR:-/tmp}"
timeout 240 node --test --test-reporter=spec "$src/tests/browser/oidc_demo.test.mjs"
