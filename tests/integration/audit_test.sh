#!/usr/bin/env bash
# `saphan audit` on a real hub directory: the demo's registry changes and consents are logged,
# the real hub signs a tree head when it stops, and the export is verified, tampered with,
# proved from and searched. Proofs, head signatures and subject pseudonyms are re-checked by an
# independent implementation (Node's crypto), not by Saphan's own code.
saphan=$1
src=$2
source "$src/tests/integration/lib.sh"
command -v node >/dev/null || { echo "node is required (tools/setup installs it)"; exit 1; }

work=$(mktemp -d)
hub_pid=
tsa_pid=
cleanup() {
  for pid in $hub_pid $tsa_pid; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
# Every step is bounded: the demo set-up and the hub's start and stop have time limits.

# expect_exit NAME STATUS -- CMD...: CMD must exit with STATUS.
expect_exit() {
  local name=$1 want=$2; shift 2; [[ $1 == -- ]] && shift
  local out status
  out=$("$@" 2>&1); status=$?
  if [[ $status -eq $want ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $name: expected exit $want, got $status: $out"; fi
  last_output=$out
}

# --help and usage errors (exit 2)
expect_ok "audit --help" -- "$saphan" audit --help
for sub in export verify prove search; do
  expect_ok "audit $sub --help" -- "$saphan" audit "$sub" --help
done
expect_exit "audit without a subcommand" 2 -- "$saphan" audit
expect_exit "unknown subcommand" 2 -- "$saphan" audit frobnicate
expect_exit "verify without FILE" 2 -- "$saphan" audit verify
expect_exit "verify with an unknown option" 2 -- "$saphan" audit verify x.jsonl --frob
expect_exit "prove without --index" 2 -- "$saphan" audit prove x.jsonl
expect_exit "search with a bad limit" 2 -- "$saphan" audit search --hub-dir "$work" --limit 0
expect_exit "search with a bad time" 2 -- "$saphan" audit search --hub-dir "$work" --since yesterday
expect_fail "verify a missing file" io_error -- "$saphan" audit verify "$work/missing.jsonl"
expect_fail "export from a non-hub" not_found -- "$saphan" audit export --hub-dir "$work"

# A demo hub: its members, keys and datasets are logged; two citizens consent, one revokes.
if ! timeout 120 "$saphan" demo init --dir "$work/demo" --persons 5 --base-port 45000 \
     > "$work/init.log" 2>&1; then
  echo "FAIL: demo init: $(tail -5 "$work/init.log")"; failed=$((failed + 1)); finish; exit 1
fi
hub=$work/demo/hub
dataset=TH/GOV/DOPA/civil-registry/person@1.0
alice=1101700230708
bob=1101700230716
consent() {  # consent SUBJECT -> prints the granted consent's id
  local id
  id=$("$saphan" consent request --dir "$hub" --subject "$1" --consumer TH/GOV/JFO/legal-aid \
       --dataset "$dataset" --purpose legal-aid-eligibility --fields firstNameTh --days 30) &&
  "$saphan" consent grant --dir "$hub" --id "$id" >/dev/null && echo "$id"
}
alice_consent=$(consent $alice)
bob_consent=$(consent $bob)
expect_ok "consents recorded" -- test -n "$alice_consent" -a -n "$bob_consent"
"$saphan" consent revoke --dir "$hub" --id "$bob_consent" >/dev/null

# The demo's TSA on a free port, and the real hub pointed at it: the hub signs a head within a
# second, the TSA stamps it, and the hub signs one more head for everything written when it stops.
"$saphan" tsa serve --dir "$work/demo/pki" --listen 127.0.0.1:0 > "$work/tsa.log" 2>&1 &
tsa_pid=$!
for _ in $(seq 1 100); do grep -q "tsa listening" "$work/tsa.log" && break; sleep 0.1; done
tsa_url=$(sed -n 's/^tsa listening on \(http:[^ ]*\)$/\1/p' "$work/tsa.log")
expect_ok "tsa started" -- test -n "$tsa_url"
sed -i 's/"listen": *"127\.0\.0\.1:[0-9]*"/"listen": "127.0.0.1:0"/' "$hub/hub.json"
sed -i "s#\"url\": *\"http://127\.0\.0\.1:[0-9]*\"#\"url\": \"$tsa_url\"#" "$hub/hub.json"
"$saphan" hub --dir "$hub" > "$work/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/hub.log" && break; sleep 0.1; done
stamped=0
for _ in $(seq 1 100); do
  stamped=$(sqlite3 "$hub/store.db" "select count(*) from log_checkpoints where tsa_token is not null" 2>/dev/null || echo 0)
  ((stamped > 0)) && break
  sleep 0.1
done
expect_ok "the TSA stamped a head while the hub ran" -- test "$stamped" -gt 0
kill -TERM "$hub_pid" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 0.1; done
wait "$hub_pid" 2>/dev/null
hub_pid=
expect_ok "hub signed a head" -- grep -q "hub stopped" "$work/hub.log"
# One more change after the head: the export must report it as not covered.
consent 3101700230712 >/dev/null

# export and verify: by default the export ends at the latest signed head
size=$(sqlite3 "$hub/store.db" 'select count(*) from log_entries')
head_size=$(sqlite3 "$hub/store.db" 'select max(tree_size) from log_checkpoints')
expect_ok "the head covers part of the log" -- test "$head_size" -gt 10 -a "$head_size" -lt "$size"
expect_ok "export" -- "$saphan" audit export --hub-dir "$hub" --out "$work/log.jsonl"
expect_ok "no partial file left" -- test ! -e "$work/log.jsonl.partial"
expect_eq "the export ends at the latest head" "$head_size" \
  "$(sed -n '1s/.*"treeSize":\([0-9]*\)}$/\1/p' "$work/log.jsonl")"
expect_ok "verify unpinned" -- "$saphan" audit verify "$work/log.jsonl"
[[ $last_output == *"NOT PINNED"* ]]; expect_eq "says the key was not pinned" 0 $?
key=$hub/keys/log-signing.pub.jwk
expect_ok "verify pinned" -- "$saphan" audit verify "$work/log.jsonl" --log-key "$key"
[[ $last_output == *"(pinned)"* && $last_output == *"every entry is covered"* ]]
expect_eq "pinned, and every entry covered" 0 $?
# Entries after the last head are exported only when asked for, and fail the check: nothing
# signed says they were not changed or dropped.
expect_ok "export the whole log" -- "$saphan" audit export --hub-dir "$hub" --out "$work/all.jsonl" --to-size "$size"
expect_fail "verify refuses entries no head covers" proof_invalid -- \
  "$saphan" audit verify "$work/all.jsonl" --log-key "$key"
[[ $last_output == *"entries $head_size..$((size - 1)) come after the last signed head"* ]]
expect_eq "names the uncovered entries" 0 $?
expect_ok "verify --allow-uncovered" -- "$saphan" audit verify "$work/all.jsonl" --log-key "$key" --allow-uncovered
[[ $last_output == *"WARNING: entries $head_size.."*"not covered"* ]]; expect_eq "reported as a warning" 0 $?
grep -v '"checkpoint":' "$work/log.jsonl" > "$work/noheads.jsonl"
expect_fail "an export without its signed heads" proof_invalid -- \
  "$saphan" audit verify "$work/noheads.jsonl" --log-key "$key"
[[ $last_output == *"no signed tree head"* ]]; expect_eq "says no head covers the entries" 0 $?
expect_ok "verify with the TSA's CA checks the tokens" -- \
  "$saphan" audit verify "$work/log.jsonl" --log-key "$key" --tsa-ca "$work/demo/pki/ca.crt"
[[ $last_output != *"NOT VERIFIED"* && $last_output != *"not verified"* ]]
expect_eq "tokens verified" 0 $?
# Every exported token, checked by the OpenSSL command line against its head's signed note.
node -e '
  const fs = require("fs"), crypto = require("crypto"), path = require("path");
  let n = 0;
  for (const line of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
    if (!line.includes("\"timestampToken\":\"")) continue;
    const { checkpoint: c, timestampToken: t } = JSON.parse(line);
    const note = `${c.origin}\n${c.tree_size}\n${Buffer.from(c.root_hash, "base64url").toString("base64")}\n${c.timestamp}\n`;
    fs.writeFileSync(path.join(process.argv[2], `head-${n}.tst`), Buffer.from(t, "base64url"));
    console.log(`head-${n}.tst ${crypto.createHash("sha256").update(note).digest("hex")}`);
    n++;
  }' "$work/log.jsonl" "$work" > "$work/imprints.txt"
tokens=$(wc -l <"$work/imprints.txt")
expect_ok "the export holds timestamp tokens" -- test "$tokens" -gt 0
ts_ok=0
while read -r token imprint; do
  openssl ts -verify -digest "$imprint" -in "$work/$token" -token_in \
    -CAfile "$work/demo/pki/ca.crt" -untrusted "$work/demo/pki/tsa.crt" >/dev/null 2>&1 && ts_ok=$((ts_ok + 1))
done <"$work/imprints.txt"
expect_eq "openssl ts -verify accepts every exported token" "$tokens" "$ts_ok"
read -r first_token first_imprint <"$work/imprints.txt"
wrong_imprint=$(printf '%s' "$first_imprint" | tr '0-9a-f' '1-9a-f0')
expect_fail_plain() { if "$@" >/dev/null 2>&1; then failed=$((failed + 1)); echo "FAIL: $1 accepted"; else passed=$((passed + 1)); fi; }
expect_fail_plain openssl ts -verify -digest "$wrong_imprint" -in "$work/$first_token" -token_in \
  -CAfile "$work/demo/pki/ca.crt" -untrusted "$work/demo/pki/tsa.crt"
cp "$work/log.jsonl" "$work/badtoken.jsonl"
python3 - "$work/badtoken.jsonl" <<'PY'
import sys, json, base64
path = sys.argv[1]
lines = open(path).read().split("\n")
for i, line in enumerate(lines):
    if '"timestampToken":"' in line:
        doc = json.loads(line)
        raw = bytearray(base64.urlsafe_b64decode(doc["timestampToken"] + "=" * (-len(doc["timestampToken"]) % 4)))
        raw[-10] ^= 1
        doc["timestampToken"] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
        lines[i] = json.dumps(doc, separators=(",", ":"))
        break
open(path, "w").write("\n".join(lines))
PY
expect_fail "tampered timestamp token" timestamp_invalid -- \
  "$saphan" audit verify "$work/badtoken.jsonl" --log-key "$key" --tsa-ca "$work/demo/pki/ca.crt"
# A token removed from a head: counted as missing, and refused when timestamps are required.
python3 - "$work/log.jsonl" "$work/notoken.jsonl" <<'PY'
import sys, json
lines = open(sys.argv[1]).read().split("\n")
for i, line in enumerate(lines):
    if '"timestampToken":"' in line:
        doc = json.loads(line)
        doc["timestampToken"] = None
        lines[i] = json.dumps(doc, separators=(",", ":"))
        break
open(sys.argv[2], "w").write("\n".join(lines))
PY
expect_ok "a head without its token still verifies" -- \
  "$saphan" audit verify "$work/notoken.jsonl" --log-key "$key" --tsa-ca "$work/demo/pki/ca.crt"
[[ $last_output == *"without a token"* ]]; expect_eq "and says so: $last_output" 0 $?
expect_fail "but not with --require-timestamps" timestamp_invalid -- "$saphan" audit verify \
  "$work/notoken.jsonl" --log-key "$key" --tsa-ca "$work/demo/pki/ca.crt" --require-timestamps
expect_ok "export to an earlier size" -- "$saphan" audit export --hub-dir "$hub" --out "$work/head.jsonl" \
  --to-size 5
expect_fail "without a head at that size it is not covered" proof_invalid -- \
  "$saphan" audit verify "$work/head.jsonl" --log-key "$key"
"$saphan" audit export --hub-dir "$hub" > "$work/stdout.jsonl" 2>/dev/null
expect_eq "export to stdout is the same log" "$(tail -n +2 "$work/log.jsonl")" \
  "$(tail -n +2 "$work/stdout.jsonl")"
expect_fail "export beyond the log" invalid_argument -- \
  "$saphan" audit export --hub-dir "$hub" --out "$work/x.jsonl" --to-size $((size + 1))

# tampering: each fails with exit 1 and one line naming the item
sed '3d' "$work/log.jsonl" > "$work/deleted.jsonl"
expect_fail "deleted entry" proof_invalid -- "$saphan" audit verify "$work/deleted.jsonl" --log-key "$key"
[[ $last_output == *"expected entry 1, found entry 2"* ]]; expect_eq "names the missing entry" 0 $?
sed '2s/member\.added/member.addeD/' "$work/log.jsonl" > "$work/changed.jsonl"
expect_fail "changed entry" root_mismatch -- "$saphan" audit verify "$work/changed.jsonl" --log-key "$key"
[[ $last_output == *"checkpoint of size $head_size"* ]]; expect_eq "names the head" 0 $?
head -c -5 "$work/log.jsonl" > "$work/truncated.jsonl"
expect_fail "truncated" proof_invalid -- "$saphan" audit verify "$work/truncated.jsonl"
sed '1s/"x":"[^"]*"/"x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"/' "$work/log.jsonl" > "$work/rekeyed.jsonl"
expect_fail "substituted log key" bad_signature -- "$saphan" audit verify "$work/rekeyed.jsonl" --log-key "$key"
expect_exit "tampered export exits 1" 1 -- "$saphan" audit verify "$work/changed.jsonl"

# proofs: printed, then checked independently (RFC 9162 path, Ed25519 over the signed note)
check_proof() {  # check_proof PROOF_JSON EXPORT
  node -e '
    const crypto = require("crypto"), fs = require("fs");
    const b = (s) => Buffer.from(s, "base64url");
    const h = (...parts) => crypto.createHash("sha256").update(Buffer.concat(parts)).digest();
    const p = JSON.parse(process.argv[1]);
    const lines = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse);
    const entry = lines.find((l) => l.index === p.index).entry;
    const leaf = h(Buffer.from([0]), Buffer.from(entry, "utf8"));
    if (!leaf.equals(b(p.leafHash))) throw new Error("leaf hash");
    let fn = p.index, sn = p.treeSize - 1, r = leaf;
    for (const s of p.path.map(b)) {
      if (sn === 0) throw new Error("path too long");
      if (fn % 2 === 1 || fn === sn) {
        r = h(Buffer.from([1]), s, r);
        if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn >>= 1; sn >>= 1; }
      } else {
        r = h(Buffer.from([1]), r, s);
      }
      fn >>= 1; sn >>= 1;
    }
    const cp = p.checkpoint;
    if (sn !== 0 || !r.equals(b(p.rootHash)) || !r.equals(b(cp.root_hash))) throw new Error("root");
    const note = `${cp.origin}\n${cp.tree_size}\n${b(cp.root_hash).toString("base64")}\n${cp.timestamp}\n`;
    const key = crypto.createPublicKey({ key: lines[0].logKey, format: "jwk" });
    if (!crypto.verify(null, Buffer.from(note), key, b(cp.signature))) throw new Error("signature");
  ' "$1" "$2"
}
for index in 0 $((head_size / 2)) $((head_size - 1)); do
  expect_ok "prove entry $index" -- "$saphan" audit prove "$work/log.jsonl" --index "$index" --log-key "$key"
  proof=$(printf '%s\n' "$last_output" | grep '^{')
  expect_ok "proof of entry $index checks independently" -- check_proof "$proof" "$work/log.jsonl"
done
expect_fail "prove beyond the head" invalid_argument -- "$saphan" audit prove "$work/log.jsonl" --index "$head_size"
expect_fail "prove at a size without a head" not_found -- \
  "$saphan" audit prove "$work/log.jsonl" --index 0 --size $((head_size - 1))
expect_fail "prove from a tampered export" root_mismatch -- \
  "$saphan" audit prove "$work/changed.jsonl" --index 0

# search: by kind, and by citizen through the keyed pseudonym (computed here independently)
expect_ok "search by kind" -- "$saphan" audit search --hub-dir "$hub" --kind member.added
expect_eq "members found" 7 "$(printf '%s\n' "$last_output" | grep -c '^{"index":')"
pseudonym=$(node -e '
  const crypto = require("crypto"), fs = require("fs");
  const secret = Buffer.from(fs.readFileSync(process.argv[1], "utf8").trim(), "base64url");
  console.log(crypto.createHmac("sha256", secret).update(process.argv[2]).digest("hex"));
' "$hub/keys/pseudonym.key" "$bob")
expect_ok "search by subject" -- "$saphan" audit search --hub-dir "$hub" --subject "$bob"
found=$last_output
bob_lines=$(printf '%s\n' "$found" | grep -c '^{"index":')
expect_ok "bob's consent was requested, granted and revoked" -- test "$bob_lines" -ge 3
expect_eq "every line holds bob's pseudonym" "$bob_lines" "$(printf '%s\n' "$found" | grep -c "$pseudonym")"
expect_eq "no citizen id in the log" 0 "$(grep -c "$bob" "$work/log.jsonl")"
expect_ok "search with a limit" -- "$saphan" audit search --hub-dir "$hub" --subject "$bob" --limit 1
expect_eq "one line" 1 "$(printf '%s\n' "$last_output" | grep -c '^{"index":')"
expect_fail "search with an invalid citizen id" invalid_citizen_id -- \
  "$saphan" audit search --hub-dir "$hub" --subject 1101700230709

finish
