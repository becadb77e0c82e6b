#!/usr/bin/env bash
# The hub's evidence log on a full file system, for real: the hub's folder on a small tmpfs that
# the test fills and frees. The scenarios are in disk_full.test.mjs (skipped, saying why, where
# this machine cannot mount a tmpfs).
set -euo pipefail
saphan=$1
src=$2
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (tools/setup installs it)"; exit 1; }
SAPHAN=$saphan SAPHAN_SOURCE=$src timeout 240 node --test --test-reporter=spec \
  "$src/tests/integration/disk_full.test.mjs"
