#!/usr/bin/env bash
# The time-stamping authority goes away: the hub keeps exchanging, signs its tree heads and keeps
# them as "not yet timestamped", fails /readyz once a head has waited longer than the grace
# period (while /healthz stays ok), and stamps every waiting head once the TSA is back.
#
# Real processes on 127.0.0.1 with random free ports; every wait is bounded.
saphan=$1
src=$2
source "$src/tests/integration/lib.sh"
for tool in node sqlite3 curl timeout; do
  command -v "$tool" >/dev/null || { echo "$tool is required (tools/setup installs it)"; exit 1; }
done
source "$src/tests/integration/processes.sh"

base=$(timeout 20 node "$src/tests/integration/crash_load.mjs" ports) || abort "no free port range: $base"
demo=$work/demo
hub=$demo/hub
pki=$demo/pki
timeout 60 "$saphan" demo init --dir "$demo" --persons 50 --base-port "$base" \
  --config "$src/config" --schemas "$src/schemas" >"$work/init.log" 2>&1 || abort "demo init" "$work/init.log"
# The TSA of hub.json (base + 20) is not started; heads may wait one second before /readyz fails.
node -e 'const f = process.argv[1], fs = require("fs"); const c = JSON.parse(fs.readFileSync(f));
  c.tsa.graceSeconds = 1; fs.writeFileSync(f, JSON.stringify(c, null, 2));' "$hub/hub.json"

subject=$(sqlite3 "$demo/data/dopa.db" 'select citizen_id from person order by citizen_id limit 1')
consent=$("$saphan" consent request --dir "$hub" --subject "$subject" --consumer TH/GOV/JFO/legal-aid \
  --dataset TH/GOV/DOPA/civil-registry/person@1.0 --purpose legal-aid-eligibility \
  --fields firstNameTh --days 30 2>"$work/consent.err") || abort "consent request" "$work/consent.err"
"$saphan" consent grant --dir "$hub" --id "$consent" >/dev/null || abort "consent grant"

start hub "listening on" "$saphan" hub --dir "$hub"
start dopa "^connector " "$saphan" connector --config "$demo/members/dopa/connector.json"
start jfo "^connector " "$saphan" connector --config "$demo/members/jfo/connector.json"

hub_get() {  # hub_get PATH: "<status> <body>" of a GET to the hub over mutual TLS
  curl -s --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/jfo.crt" --key "$pki/jfo.key" \
    -w ' %{http_code}' "https://127.0.0.1:$base$1"
}
query() {  # query: the HTTP status of one consented exchange through the JFO's consumer API
  curl -s --max-time 10 -o "$work/answer.json" -w '%{http_code}' -X POST \
    "http://127.0.0.1:$((base + 10))/r1/TH/GOV/DOPA/civil-registry/person@1.0" \
    -H 'X-Road-Client: TH/GOV/JFO/legal-aid' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $(cat "$demo/members/jfo/keys/consumer-api.token")" \
    -d "{\"subject\":\"$subject\",\"purpose\":\"legal-aid-eligibility\",\"lawfulBasis\":\"consent\",\"consentId\":\"$consent\",\"fields\":[\"firstNameTh\"]}"
}
waiting_heads() { sqlite3 "$hub/store.db" 'select count(*) from log_checkpoints where tsa_token is null'; }
stamped_heads() { sqlite3 "$hub/store.db" 'select count(*) from log_checkpoints where tsa_token is not null'; }

# ---- the TSA is down
expect_eq "an exchange succeeds without the TSA" 200 "$(query)"
expect_eq "and another" 200 "$(query)"
for _ in $(seq 50); do (($(waiting_heads) > 0)) && break; sleep 0.1; done
expect_ok "heads are signed and wait for a token" -- test "$(waiting_heads)" -gt 0
expect_eq "no head has a token" 0 "$(stamped_heads)"
sleep 1.5
readyz=$(hub_get /readyz)
[[ $readyz == *timestamp_overdue*503 ]]; expect_eq "/readyz fails after the grace period: $readyz" 0 $?
healthz=$(hub_get /healthz)
expect_eq "/healthz stays ok" "ok 200" "$(tr -d '\n' <<<"$healthz")"
expect_eq "exchanges go on meanwhile" 200 "$(query)"
metrics=$(hub_get /metrics)
[[ $metrics =~ saphan_tsa_failures_total\ ([1-9][0-9]*) ]]; expect_eq "failed attempts are counted" 0 $?
[[ $metrics =~ saphan_tsa_oldest_waiting_seconds\ ([1-9][0-9]*) ]]
expect_eq "the backlog gauge shows the oldest head waiting a second or more" 0 $?

# ---- the TSA comes back: the hub's retries stamp every waiting head
start tsa "tsa listening" "$saphan" tsa serve --dir "$pki" --listen "127.0.0.1:$((base + 20))"
for _ in $(seq 300); do (($(waiting_heads) == 0)) && break; sleep 0.1; done
expect_eq "every head is stamped within 30 s of the TSA's return" 0 "$(waiting_heads)"
expect_ok "heads have tokens" -- test "$(stamped_heads)" -gt 0
readyz=$(hub_get /readyz)
expect_eq "/readyz is ok again" "ready 200" "$(tr -d '\n' <<<"$readyz")"
metrics=$(hub_get /metrics)
[[ $metrics == *$'\nsaphan_tsa_oldest_waiting_seconds 0\n'* ]]
expect_eq "the backlog gauge is 0 once every head is stamped" 0 $?

# ---- the stamped log verifies offline, tokens included
expect_ok "audit export" -- timeout 30 "$saphan" audit export --hub-dir "$hub" --out "$work/log.jsonl"
expect_ok "audit verify with the TSA's CA, every head stamped" -- timeout 30 "$saphan" audit verify \
  "$work/log.jsonl" --log-key "$hub/keys/log-signing.pub.jwk" --tsa-ca "$pki/ca.crt" --require-timestamps
finish
