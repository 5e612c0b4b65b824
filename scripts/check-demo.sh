#!/usr/bin/env bash
# Runs the README's main job (scripts/demo.sh) as a test, non-interactively, and
# checks how it ends: exit 0, `transcript: PATH` naming a transcript whose chain
# verifies, one `KCV <facility> <token>: HEX` line per HSM, all equal, and one
# `KSK <facility> <token>: SHA-256` line per HSM holding the KSK, all equal (the
# demo itself fails unless openssl verifies the KSK's signature made at the second
# facility against the public key exported at the first).
set -uo pipefail
smk=${1:?usage: check-demo.sh PATH/TO/smk}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp /tmp/smk-check-demo.XXXXXX)
err=$(mktemp /tmp/smk-check-demo-err.XXXXXX)
trap 'rm -f "$out" "$err"' EXIT

"$here/demo.sh" "$smk" </dev/null >"$out" 2>"$err"
rc=$?
cat "$err" >>"$out"  # the closing lines may come on either stream
fail() {
  echo "check-demo: $*" >&2
  echo "--- last lines of the demo's stdout ---" >&2; tail -n 30 "$out" >&2
  echo "--- last lines of its stderr ---" >&2; tail -n 15 "$err" >&2
  exit 1
}
[[ $rc -eq 0 ]] || fail "the demo exited $rc"

transcript=$(sed -n 's/^transcript: //p' "$out" | tail -n 1)
[[ -n $transcript && -s $transcript ]] || fail "no 'transcript: PATH' line naming a transcript"
"$smk" transcript verify "$transcript" >/dev/null 2>&1 || fail "smk transcript verify $transcript failed"

mapfile -t kcvs < <(sed -n 's/^KCV [^ ]* [^ ]*: \([0-9a-f]\{6\}\)$/\1/p' "$out")
[[ ${#kcvs[@]} -ge 2 ]] || fail "expected one KCV line per HSM (two facilities), found ${#kcvs[@]}"
for k in "${kcvs[@]}"; do
  [[ $k == "${kcvs[0]}" ]] || fail "the HSMs show different KCVs: ${kcvs[*]}"
done
mapfile -t ksks < <(sed -n 's/^KSK [^ ]* [^ ]*: \([0-9a-f]\{64\}\)$/\1/p' "$out")
[[ ${#ksks[@]} -ge 2 ]] || fail "expected one KSK line per HSM (two facilities), found ${#ksks[@]}"
for k in "${ksks[@]}"; do
  [[ $k == "${ksks[0]}" ]] || fail "the HSMs hold different KSK public keys: ${ksks[*]}"
done
grep -qx 'Verified OK' "$out" || fail "no 'Verified OK' from openssl for the KSK's signature"
# Phase 2 read the backup from the AUCKLAND drive, its USB serial checked, and found the
# SHA-256 the phase-2 plan records (read with jq, not smk).
jq -e -s 'any(.[]; .flow == "restore" and .step == "drive-checked" and .items.drive == "AUCKLAND")' \
  "$transcript" >/dev/null || fail "the restore did not check the AUCKLAND drive's USB serial"
jq -e -s 'any(.[]; .flow == "restore" and .step == "application-backup-checked"
                   and .results.sha256_recorded == "match")' \
  "$transcript" >/dev/null || fail "the restore did not check the backup's SHA-256 against the plan"
# Issuance gave every card its authentication key (issue 14: on-card attestation).
jq -e -s '[.[] | select(.flow == "issue" and .step == "card-key-generated"
                        and (.results.public_key_sha256 | length) == 64)] | length == 14' \
  "$transcript" >/dev/null || fail "the issue did not record an authentication key for each of the 14 cards"
# Issuance put each holder's PIN and the custodian's admin PIN on every card in place
# of the factory PINs (issue 14: holder PINs).
jq -e -s '[.[] | select(.flow == "issue" and .step == "card-pins-set")] | length == 14' \
  "$transcript" >/dev/null || fail "the issue did not set the holders' PINs on each of the 14 cards"
# Holder 7 took part remotely (issue 15): the restore showed a key for itself alone and
# counted holder 7's sealed share, recorded with who presented it and its SHA-256,
# beside four cards.
jq -e -s 'any(.[]; .flow == "restore" and .step == "facility-key"
                   and (.results.public_key | length) == 64)' \
  "$transcript" >/dev/null || fail "the restore recorded no facility key"
jq -e -s '[.[] | select(.flow == "restore" and .step == "sealed-share-read"
                        and .items.holder == "7" and .results.remote == "yes"
                        and (.digests.sealed | length) == 64)] | length == 1' \
  "$transcript" >/dev/null || fail "the restore did not record holder 7's sealed share"
jq -e -s '[.[] | select(.flow == "restore" and .step == "card-read")] | length == 4' \
  "$transcript" >/dev/null || fail "the restore did not read four cards beside the sealed share"
# Every drive's verification records where it goes: facility, bag and recipient.
jq -e -s '[.[] | select(.flow == "backup-copies" and .step == "drive-verified"
                        and .items.facility != null and .items.bag != null
                        and .items.recipient != null)] | length >= 4' \
  "$transcript" >/dev/null || fail "a drive's verification does not record its custody"
# Every flow named the people in the room, confirmed, and its first line names the tool.
for flow in issue backup-keys backup-copies restore; do
  jq -e -s --arg flow "$flow" 'any(.[]; .flow == $flow and .step == "participants"
                                        and .results.confirmed == "--confirm-participants")' \
    "$transcript" >/dev/null || fail "the $flow did not record its confirmed participants"
  jq -e -s --arg flow "$flow" --arg sha "$(sha256sum "$smk" | cut -c1-64)" \
    '[.[] | select(.flow == $flow)][0].digests.smk_binary == $sha' \
    "$transcript" >/dev/null || fail "the $flow's first line does not name this smk binary's SHA-256"
done
# The SMK went into both HSMs with CKA_TRUSTED, each token checked first.
for flow in issue restore; do
  jq -e -s --arg flow "$flow" 'any(.[]; .flow == $flow and .step == "hsm-installed"
                                        and .results.trusted == "yes")' \
    "$transcript" >/dev/null || fail "the $flow did not install a trusted SMK"
  jq -e -s --arg flow "$flow" 'any(.[]; .flow == $flow and .step == "token-trusted-checked")' \
    "$transcript" >/dev/null || fail "the $flow did not check its token for a trusted SMK first"
  # The token was the HSM the plan pins (serial from pkcs11-tool -L), checked before login.
  jq -e -s --arg flow "$flow" 'any(.[]; .flow == $flow and .step == "token-pinned"
                                        and .results.matches_plan == "yes")' \
    "$transcript" >/dev/null || fail "the $flow did not check its token's serial against the plan"
done
[[ $(grep -c '^SMK [^ ]* [^ ]*: .*CKA_TRUSTED' "$out") -ge 2 ]] ||
  fail "expected one 'SMK <facility> <token>: ... CKA_TRUSTED' line (p11tool) per HSM"
rm -f "$transcript"
echo "check-demo: rehearsal OK; ${#kcvs[@]} HSMs show KCV ${kcvs[0]} and KSK ${ksks[0]}"
