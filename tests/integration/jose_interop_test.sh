#!/usr/bin/env bash
# Independent JOSE check: Saphan's detached JWS and its JWE (ECDH-ES/X25519/A256GCM) are
# verified and opened by the `jose` package from npm, and Saphan verifies and opens what `jose`
# makes. Usage: jose_interop_test.sh <saphan-binary> <source-dir>
set -euo pipefail

saphan_binary=${1:?usage: jose_interop_test.sh <saphan-binary> <source-dir>}
source_dir=${2:?usage: jose_interop_test.sh <saphan-binary> <source-dir>}
vectors="$(dirname "$saphan_binary")/saphan_jose_vectors"
interop_dir="$source_dir/tests/interop"

fail() {
  echo "jose_interop: $*" >&2
  exit 1
}

[[ -x "$vectors" ]] || fail "saphan_jose_vectors not found next to $saphan_binary (build all targets)"
command -v node >/dev/null 2>&1 || fail "node is not installed (run tools/setup)"

if [[ ! -d "$interop_dir/node_modules/jose" ]]; then
  command -v npm >/dev/null 2>&1 || fail "npm is not installed (run tools/setup)"
  npm ci --prefix "$interop_dir" --no-audit --no-fund >/dev/null 2>&1 ||
    fail "npm ci in $interop_dir failed (is the npm registry reachable?)"
fi

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT

echo "== Saphan writes a detached JWS and a JWE"
"$vectors" make "$work_dir" || fail "saphan_jose_vectors make failed"
echo "== node jose verifies and opens them, and writes its own"
node "$interop_dir/check.mjs" "$work_dir" || fail "node jose check failed"
echo "== Saphan verifies and opens what node jose wrote"
"$vectors" check "$work_dir" || fail "saphan_jose_vectors check failed"
echo "jose_interop: all checks passed"
