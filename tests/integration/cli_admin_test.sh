#!/usr/bin/env bash
# The admin and consent commands on a real hub directory: happy paths, and bad input that must
# give a one-line error with a stable code, a non-zero exit, and change nothing.
saphan=$1
src=$2
source "$src/tests/integration/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hub="$work/hub"

# --help everywhere
expect_ok "saphan --help" -- "$saphan" --help
expect_ok "admin --help" -- "$saphan" admin --help
expect_ok "admin init --help" -- "$saphan" admin init --help
expect_ok "consent --help" -- "$saphan" consent --help
expect_fail "unknown command" invalid_argument -- "$saphan" admin frobnicate
expect_fail "unknown option" invalid_argument -- "$saphan" admin init --dir "$hub" --colour red
expect_fail "missing --dir" invalid_argument -- "$saphan" admin init
# each command takes only its own options, and --help describes that command
expect_fail "an option of another command" invalid_argument -- "$saphan" admin init --dir "$hub" --dataset X
expect_fail "a stray argument" invalid_argument -- "$saphan" admin init --dir "$hub" extra
expect_ok "admin publish --help" -- "$saphan" admin publish --help
[[ $last_output == "usage: saphan admin publish --dir HUB --file DATASET.json"* && $last_output != *add-member* ]]
expect_eq "publish --help is about publish" 0 $?
expect_ok "consent revoke --help" -- "$saphan" consent revoke --help
[[ $last_output == "usage: saphan consent revoke --dir HUB --id CONSENT"* ]]
expect_eq "revoke --help is about revoke" 0 $?
expect_fail "consent grant takes no --fields" invalid_argument -- "$saphan" consent grant --dir "$hub" --id x --fields a
[[ ! -e $hub ]]; expect_eq "refused commands created nothing" 0 $?

# a failed init leaves nothing behind, and can simply be run again: with a 4 KiB limit on file
# sizes the keys are written, then the store cannot grow, and init must undo the keys
( ulimit -f 4; trap '' XFSZ; exec "$saphan" admin init --dir "$work/nested/hub" ) >"$work/init.out" 2>&1
expect_eq "init fails when the store cannot be written" 1 $?
expect_eq "one error line" 1 "$(wc -l <"$work/init.out")"
[[ ! -e $work/nested ]]; expect_eq "nothing left of the failed init" 0 $?
expect_ok "init again after the failure" -- "$saphan" admin init --dir "$work/nested/hub"

# not initialised yet
expect_fail "list before init" not_found -- "$saphan" admin list-members --dir "$hub"

expect_ok "init" -- "$saphan" admin init --dir "$hub"
expect_fail "init twice" already_exists -- "$saphan" admin init --dir "$hub"
[[ -f $hub/keys/hub-signing.jwk && $(stat -c %a "$hub/keys/hub-signing.jwk") == 600 ]]
expect_eq "hub signing key is private" 0 $?

# bad member files
expect_fail "missing file" io_error -- "$saphan" admin add-member --dir "$hub" --file "$work/nope.json"
echo '{"id": "TH/GOV/X/y", "name": ' > "$work/broken.json"
expect_fail "malformed JSON" malformed_json -- "$saphan" admin add-member --dir "$hub" --file "$work/broken.json"
echo '{"id": "TH/GOV/X", "name": "Three parts"}' > "$work/bad-id.json"
expect_fail "bad member id" invalid_member_id -- "$saphan" admin add-member --dir "$hub" --file "$work/bad-id.json"

# bad dataset files
expect_fail "publish: missing file" io_error -- "$saphan" admin publish --dir "$hub" --file "$work/nope.json"
expect_fail "publish: malformed JSON" malformed_json -- "$saphan" admin publish --dir "$hub" --file "$work/broken.json"

# a dataset whose owner is not registered
expect_fail "unknown member" unknown_member -- \
  "$saphan" admin publish --dir "$hub" --file "$src/config/datasets/dopa-person.json"
expect_eq "nothing published" "" "$("$saphan" admin list-datasets --dir "$hub")"

# apply the whole config, then duplicates
expect_ok "apply config" -- "$saphan" admin apply --dir "$hub" --config "$src/config"
expect_eq "seven members" 7 "$("$saphan" admin list-members --dir "$hub" | wc -l)"
expect_eq "five datasets" 5 "$("$saphan" admin list-datasets --dir "$hub" | wc -l)"
expect_fail "duplicate dataset" already_exists -- \
  "$saphan" admin publish --dir "$hub" --file "$src/config/datasets/dopa-person.json"
expect_fail "duplicate member" already_exists -- \
  "$saphan" admin add-member --dir "$hub" --file "$src/config/members/dopa.json"

# apply is all or nothing: one bad dataset file leaves a fresh hub empty
mkdir -p "$work/bad-config/members" "$work/bad-config/datasets"
cp "$src/config/members/"*.json "$work/bad-config/members/"
cp "$src/config/datasets/"*.json "$work/bad-config/datasets/"
sed 's/"contactEmail"/"contactMail"/' "$src/config/datasets/dbd-juristic-person.json" > "$work/bad-config/datasets/dbd-juristic-person.json"
expect_ok "init second hub" -- "$saphan" admin init --dir "$work/hub2"
expect_fail "apply with missing metadata" missing_metadata -- \
  "$saphan" admin apply --dir "$work/hub2" --config "$work/bad-config" --schemas "$src/schemas"
expect_eq "no member half-registered" "" "$("$saphan" admin list-members --dir "$work/hub2")"
# an existing member makes the whole apply fail and roll back
"$saphan" admin add-member --dir "$work/hub2" --file "$src/config/members/rtp.json" >/dev/null
expect_fail "apply over existing member" already_exists -- \
  "$saphan" admin apply --dir "$work/hub2" --config "$src/config"
expect_eq "rolled back to one member" 1 "$("$saphan" admin list-members --dir "$work/hub2" | wc -l)"
expect_eq "rolled back datasets" "" "$("$saphan" admin list-datasets --dir "$work/hub2")"

# consent life cycle through the CLI
dataset=TH/GOV/DOPA/civil-registry/person@1.0
request=(consent request --dir "$hub" --subject 1101700230708 --consumer TH/GOV/JFO/legal-aid
         --dataset "$dataset" --purpose legal-aid-eligibility --fields firstNameTh,lastNameTh --days 30)
expect_ok "consent request" -- "$saphan" "${request[@]}"
id=$last_output
expect_eq "consent id printed" cns- "${id:0:4}"
expect_ok "consent grant" -- "$saphan" consent grant --dir "$hub" --id "$id"
expect_ok "consent list" -- "$saphan" consent list --dir "$hub" --subject 1101700230708
[[ $last_output == *"$id"*active* ]]; expect_eq "listed as active" 0 $?
expect_ok "consent revoke" -- "$saphan" consent revoke --dir "$hub" --id "$id"
expect_fail "grant after revoke" illegal_transition -- "$saphan" consent grant --dir "$hub" --id "$id"
expect_ok "consent show" -- "$saphan" consent show --dir "$hub" --id "$id"
[[ $last_output == *'"status":"revoked"'* ]]; expect_eq "shown as revoked" 0 $?
expect_fail "unknown consent" consent_not_found -- "$saphan" consent grant --dir "$hub" --id cns-nope
expect_fail "bad citizen id" invalid_citizen_id -- "$saphan" consent request --dir "$hub" \
  --subject 1101700230709 --consumer TH/GOV/JFO/legal-aid --dataset "$dataset" \
  --purpose legal-aid-eligibility --fields firstNameTh --days 30
expect_fail "unknown consumer" unknown_member -- "$saphan" consent request --dir "$hub" \
  --subject 1101700230708 --consumer TH/GOV/XYZ/nobody --dataset "$dataset" \
  --purpose legal-aid-eligibility --fields firstNameTh --days 30
expect_fail "unknown dataset" unknown_dataset -- "$saphan" consent request --dir "$hub" \
  --subject 1101700230708 --consumer TH/GOV/JFO/legal-aid --dataset TH/GOV/DOPA/civil-registry/nothing@1.0 \
  --purpose legal-aid-eligibility --fields firstNameTh --days 30
expect_fail "field not in dataset" invalid_argument -- "$saphan" consent request --dir "$hub" \
  --subject 1101700230708 --consumer TH/GOV/JFO/legal-aid --dataset "$dataset" \
  --purpose legal-aid-eligibility --fields shoeSize --days 30
expect_eq "only one consent stored" 1 "$("$saphan" consent list --dir "$hub" | wc -l)"

# expiry: a consent past its validUntil lists as expired at once; `consent expire` stores that,
# with a consent.expired entry in the evidence log, and leaves current consents alone
expect_ok "request a consent that ran out" -- "$saphan" consent request --dir "$hub" --subject 1101700230708 \
  --consumer TH/GOV/JFO/legal-aid --dataset "$dataset" --purpose legal-aid-eligibility --fields firstNameTh \
  --from 2024-01-01T00:00:00Z --until 2025-01-01T00:00:00Z
old=$last_output
expect_ok "grant it" -- "$saphan" consent grant --dir "$hub" --id "$old"
expect_ok "request a current consent" -- "$saphan" "${request[@]}"
current=$last_output
expect_ok "grant the current one" -- "$saphan" consent grant --dir "$hub" --id "$current"
expect_eq "listed as expired before the sweep" "$old" "$("$saphan" consent list --dir "$hub" --status expired | cut -d' ' -f1)"
expect_eq "only the current one is active" "$current" "$("$saphan" consent list --dir "$hub" --status active | cut -d' ' -f1)"
expect_ok "consent expire" -- "$saphan" consent expire --dir "$hub"
expect_eq "one consent expired" "expired 1 consents" "$last_output"
[[ $("$saphan" consent show --dir "$hub" --id "$old") == *'"status":"expired"'* ]]
expect_eq "stored as expired" 0 $?
[[ $("$saphan" consent show --dir "$hub" --id "$current") == *'"status":"active"'* ]]
expect_eq "the current one stays active" 0 $?
expect_eq "one consent.expired entry" 1 "$("$saphan" audit search --hub-dir "$hub" --kind consent.expired | grep -c "$old")"
expect_ok "a second sweep" -- "$saphan" consent expire --dir "$hub"
expect_eq "finds nothing more" "expired 0 consents" "$last_output"

# member and key changes are logged too
sed 's/"name": *"[^"]*"/"name": "Justice Fund Office (renamed)"/' "$src/config/members/jfo.json" >"$work/jfo-renamed.json"
expect_ok "update-member" -- "$saphan" admin update-member --dir "$hub" --file "$work/jfo-renamed.json"
[[ $("$saphan" admin list-members --dir "$hub") == *"Justice Fund Office (renamed)"* ]]
expect_eq "member renamed" 0 $?
expect_eq "member.updated logged" 1 "$("$saphan" audit search --hub-dir "$hub" --kind member.updated | wc -l)"
echo '{"id": "TH/GOV/XYZ/nobody", "name": "Nobody", "groups": [], "clearance": "open"}' >"$work/stranger.json"
expect_fail "update an unknown member" unknown_member -- "$saphan" admin update-member --dir "$hub" --file "$work/stranger.json"
kid=$(sed -E 's/.*"kid": *"([^"]*)".*/\1/' "$hub/keys/hub-signing.pub.jwk")
expect_ok "add-key" -- "$saphan" admin add-key --dir "$hub" --member TH/GOV/JFO/legal-aid --use signing \
  --file "$hub/keys/hub-signing.pub.jwk"
expect_ok "revoke-key" -- "$saphan" admin revoke-key --dir "$hub" --member TH/GOV/JFO/legal-aid --kid "$kid"
expect_eq "key.added and key.revoked logged" "1 1" \
  "$("$saphan" audit search --hub-dir "$hub" --kind key.added | grep -c "$kid") $("$saphan" audit search --hub-dir "$hub" --kind key.revoked | grep -c "$kid")"
expect_fail "revoke an unknown key" not_found -- "$saphan" admin revoke-key --dir "$hub" --member TH/GOV/JFO/legal-aid --kid nope

finish
