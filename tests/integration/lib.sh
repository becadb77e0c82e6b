# Shared helpers for the integration scripts (sourced by tests/integration/*_test.sh).
set -u
passed=0
failed=0

# expect_ok NAME -- CMD...: CMD must exit 0.
expect_ok() {
  local name=$1; shift; [[ $1 == -- ]] && shift
  local out
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL: $name: expected success, got exit $?: $out"
  fi
  last_output=$out
}

# expect_fail NAME CODE -- CMD...: CMD must exit non-zero and print exactly one line, the error
# "saphan <command>: CODE: <detail>".
expect_fail() {
  local name=$1 code=$2; shift 2; [[ $1 == -- ]] && shift
  local out status
  out=$("$@" 2>&1); status=$?
  if [[ $status -ne 0 && $out == "saphan "*": $code: "* && $(printf '%s\n' "$out" | wc -l) -eq 1 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL: $name: expected error $code, got exit $status: $out"
  fi
  last_output=$out
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
  if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $1: expected [$2], got [$3]"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
