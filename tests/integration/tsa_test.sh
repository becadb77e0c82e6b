#!/usr/bin/env bash
# `saphan tsa` against the REAL OpenSSL command line: `openssl ts -query` makes the request,
# curl posts it, `openssl ts -reply` reads the answer and `openssl ts -verify` must accept it
# (and refuse tampered data). Malformed bodies get a rejection and the server keeps serving.
saphan=$1
src=$2
source "$src/tests/integration/lib.sh"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# Every step is bounded: curl has --max-time, the start-up and shut-down waits are capped.

# --help and usage errors
expect_ok "tsa --help" -- "$saphan" tsa --help
expect_ok "tsa init --help" -- "$saphan" tsa init --help
expect_ok "tsa serve --help" -- "$saphan" tsa serve --help
expect_fail "unknown subcommand" invalid_argument -- "$saphan" tsa frobnicate
expect_fail "init without --dir" invalid_argument -- "$saphan" tsa init
expect_fail "serve with a bad port" invalid_argument -- "$saphan" tsa serve --dir "$work/tsa" --listen 127.0.0.1:70000
expect_fail "serve before init" io_error -- "$saphan" tsa serve --dir "$work/tsa" --listen 127.0.0.1:0

# a self-signed TSA root + TSA certificate; a second init must not replace it
expect_ok "tsa init" -- "$saphan" tsa init --dir "$work/tsa"
expect_fail "tsa init twice" already_exists -- "$saphan" tsa init --dir "$work/tsa"
expect_eq "key is private" 600 "$(stat -c %a "$work/tsa/tsa.key")"
openssl x509 -in "$work/tsa/tsa.crt" -noout -ext extendedKeyUsage > "$work/eku.txt" 2>&1
expect_eq "EKU critical timeStamping" "X509v3 Extended Key Usage: critical|    Time Stamping" \
  "$(tr '\n' '|' < "$work/eku.txt" | sed 's/|$//')"

# a TSA issued by an existing CA (the hub's)
expect_ok "ca init" -- "$saphan" ca init --dir "$work/ca"
expect_ok "tsa init --ca" -- "$saphan" tsa init --dir "$work/tsa2" --ca "$work/ca"
expect_ok "issued by the CA" -- openssl verify -purpose timestampsign -CAfile "$work/ca/ca.crt" "$work/tsa2/tsa.crt"
expect_eq "CA copied as the trust anchor" "$(cat "$work/ca/ca.crt")" "$(cat "$work/tsa2/ca.crt")"

# serve on a random port and read the port from the first line
"$saphan" tsa serve --dir "$work/tsa" --listen 127.0.0.1:0 > "$work/serve.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's|^tsa listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$work/serve.log" 2>/dev/null)
  [[ -n $port ]] && break
  sleep 0.1
done
if [[ -z $port ]]; then
  echo "FAIL: server did not start: $(cat "$work/serve.log")"
  failed=$((failed + 1)); finish; exit 1
fi
url="http://127.0.0.1:$port/"

post() {  # post FILE OUT [content-type] -> prints the HTTP status
  curl -s --max-time 10 -H "Content-Type: ${3:-application/timestamp-query}" \
    --data-binary "@$1" -o "$2" -w '%{http_code}' "$url"
}

# the real round trip
printf 'signed tree head: size 42, root 6f1d...\n' > "$work/data.txt"
expect_ok "openssl ts -query" -- openssl ts -query -data "$work/data.txt" -sha256 -cert -out "$work/req.tsq"
expect_eq "HTTP 200" 200 "$(post "$work/req.tsq" "$work/reply.tsr")"
expect_ok "openssl ts -reply -text" -- openssl ts -reply -in "$work/reply.tsr" -text
[[ $last_output == *"Status: Granted."* && $last_output == *"Hash Algorithm: sha256"* &&
   $last_output == *"Policy OID: 1.3.6.1.4.1.55555.1.1"* ]]
expect_eq "reply is granted, SHA-256, placeholder policy" 0 $?
verify=(openssl ts -verify -in "$work/reply.tsr" -CAfile "$work/tsa/ca.crt" -untrusted "$work/tsa/tsa.crt")
out=$("${verify[@]}" -data "$work/data.txt" 2>/dev/null)
expect_eq "openssl ts -verify says OK" 1 "$(printf '%s\n' "$out" | grep -c '^Verification: OK$')"

# tampered data must fail verification
printf 'signed tree head: size 43, root 6f1d...\n' > "$work/tampered.txt"
out=$("${verify[@]}" -data "$work/tampered.txt" 2>&1); status=$?
[[ $status -ne 0 && $out == *"Verification: FAILED"* ]]
expect_eq "tampered data fails verification" 0 $?
# a token under another root must fail too
out=$(openssl ts -verify -in "$work/reply.tsr" -data "$work/data.txt" -CAfile "$work/ca/ca.crt" 2>&1); status=$?
[[ $status -ne 0 && $out == *"Verification: FAILED"* ]]
expect_eq "another CA does not verify it" 0 $?

# malformed bodies get a rejection (badDataFormat), not a crash
printf 'this is not DER' > "$work/garbage.bin"
expect_eq "garbage: HTTP 200" 200 "$(post "$work/garbage.bin" "$work/rejection.tsr")"
out=$(openssl ts -reply -in "$work/rejection.tsr" -text 2>&1)
[[ $out == *"Status: Rejected."* && $out == *"wrong format"* ]]
expect_eq "garbage is rejected as badDataFormat" 0 $?
: > "$work/empty.bin"
expect_eq "empty body: HTTP 200" 200 "$(post "$work/empty.bin" "$work/empty.tsr")"
out=$(openssl ts -reply -in "$work/empty.tsr" -text 2>&1)
[[ $out == *"Status: Rejected."* ]]; expect_eq "empty body is rejected" 0 $?
head -c 20000 /dev/zero > "$work/big.bin"
expect_eq "oversized body: HTTP 413" 413 "$(post "$work/big.bin" "$work/big.out")"
expect_eq "wrong content type: HTTP 400" 400 "$(post "$work/req.tsq" "$work/ct.out" application/octet-stream)"
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$url")
expect_eq "GET: HTTP 405" 405 "$code"

# still serving: a second query, with a nonce, verifies
printf 'second head\n' > "$work/data2.txt"
openssl ts -query -data "$work/data2.txt" -sha256 -cert -out "$work/req2.tsq" 2>/dev/null
expect_eq "still serving" 200 "$(post "$work/req2.tsq" "$work/reply2.tsr")"
out=$(openssl ts -verify -in "$work/reply2.tsr" -data "$work/data2.txt" -CAfile "$work/tsa/ca.crt" \
      -untrusted "$work/tsa/tsa.crt" 2>/dev/null)
expect_eq "second token verifies" 1 "$(printf '%s\n' "$out" | grep -c '^Verification: OK$')"
out=$(openssl ts -verify -queryfile "$work/req2.tsq" -in "$work/reply2.tsr" -CAfile "$work/tsa/ca.crt" 2>/dev/null)
expect_eq "matches its query (nonce, imprint)" 1 "$(printf '%s\n' "$out" | grep -c '^Verification: OK$')"

# SIGTERM stops it cleanly
kill -TERM "$server_pid"
for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid"
wait "$server_pid"
expect_eq "server exits 0 on SIGTERM" 0 $?
server_pid=
expect_eq "server said stopped" 1 "$(grep -c '^tsa stopped$' "$work/serve.log")"

finish
