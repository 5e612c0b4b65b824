#!/usr/bin/env bash
# Runs the README's main job (scripts/demo.sh) as a test, non-interactively, and
# checks how it ends: exit 0, `transcript: PATH` naming a transcript whose chain
# verifies, and one `KCV <facility> <token>: HEX` line per HSM, all equal.
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
rm -f "$transcript"
echo "check-demo: rehearsal OK; ${#kcvs[@]} HSMs show KCV ${kcvs[0]}"
