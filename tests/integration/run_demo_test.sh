#!/usr/bin/env bash
# The README's `make run`, as `tools/run` (what it calls) on a demo of the default size, then the
# walkthrough (`tools/demo`) against it: the printed curl is pasted and answers with a record,
# every step of the walkthrough has the expected outcome, and Ctrl-C stops every process.
#
# Loopback only, random free ports (the demo is made first with --base-port; tools/run then
# finds it and keeps it), every wait bounded.
saphan=$1
src=$2
source "$src/tests/integration/lib.sh"
for tool in node curl timeout pgrep; do
  command -v "$tool" >/dev/null || { echo "$tool is required (tools/setup installs it)"; exit 1; }
done
work=$(mktemp -d)
run_pid=
cleanup() {
  if [[ -n $run_pid ]]; then kill -KILL -- "-$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null; fi
  pkill -KILL -f "$work/demo" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
set -m  # tools/run in its own process group, as in a terminal: Ctrl-C reaches the whole group

base=$(timeout 20 node "$src/tests/integration/crash_load.mjs" ports) || { echo "no free ports"; exit 1; }
expect_ok "demo init with the defaults of make run" -- timeout 120 "$saphan" demo init --dir "$work/demo" \
  --base-port "$base" --config "$src/config" --schemas "$src/schemas"
persons=$(sqlite3 "$work/demo/data/dopa.db" 'select count(*) from person')
expect_eq "10,000 synthetic persons" 10000 "$persons"

"$src/tools/run" "$saphan" "$work/demo" >"$work/run.out" 2>&1 &
run_pid=$!
for _ in $(seq 900); do grep -q '^curl ' "$work/run.out" && break; sleep 0.1; done
curl_line=$(grep '^curl ' "$work/run.out")
expect_ok "tools/run prints a ready-to-paste curl" -- test -n "$curl_line"
answer=$(eval "timeout 20 $curl_line")
[[ $answer == *'"record":{'*'"firstNameTh":'* && $answer == *'"evidence":{'* ]]
expect_eq "the pasted curl returns a record with its evidence: ${answer:0:200}" 0 $?

portal=$(grep -oE 'citizen portal +https://[^ ]+' "$work/run.out" | awk '{print $3}')
expect_ok "tools/run names the citizen portal" -- test -n "$portal"
expect_ok "the citizen portal answers over the demo CA's HTTPS" -- \
  timeout 20 curl -sS --fail --cacert "$work/demo/pki/ca.crt" -o /dev/null "$portal"
[[ $(cat "$work/run.out") == *"auditor1 / "* && $(cat "$work/run.out") == *"citizen1 / "* ]]
expect_eq "tools/run prints the demo sign-ins" 0 $?

expect_ok "the walkthrough" -- timeout 120 "$src/tools/demo" "$saphan" "$work/demo"
for code in consent_required field_not_allowed consent_revoked; do
  [[ $last_output == *"$code"* ]]; expect_eq "the walkthrough shows $code" 0 $?
done
[[ $last_output == *"every entry in a signed head is proved"* ]]
expect_eq "the walkthrough proves the trail" 0 $?

kill -INT -- "-$run_pid"
for _ in $(seq 200); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
wait "$run_pid"
status=$?
expect_eq "Ctrl-C ends tools/run (exit 130)" 130 "$status"
run_pid=
[[ $(cat "$work/run.out") == *"run: stopped"* ]]; expect_eq "it says it stopped everything" 0 $?
expect_eq "no process of the demo is left" "" "$(pgrep -f "$work/demo")"
finish
