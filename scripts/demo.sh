#!/usr/bin/env bash
# The main job for now: generate a fresh SMK, split it 2x(5-of-7), verify each
# set, recombine from five shares of set B (checking the KCV of the receipt),
# and show the receipts. Everything happens in a fresh temporary directory that
# is removed at exit, shares and key included. Non-interactive.
#   usage: scripts/demo.sh PATH/TO/smk
set -euo pipefail
smk=$(realpath "${1:?usage: scripts/demo.sh PATH/TO/smk}")
umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/smk-demo.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

"$smk" --version

echo
echo "== 1. smk split: a fresh 32-byte SMK into set A and set B, each 5-of-7"
"$smk" split --out-dir "$work/shares" | tee "$work/split-receipt.txt"
kcv=$(awk '$1 == "KCV" { print $2; exit }' "$work/split-receipt.txt")
[[ $kcv =~ ^[0-9a-f]{6}$ ]] || { echo "demo: no KCV in the split receipt" >&2; exit 1; }
shopt -s nullglob
set_a=("$work"/shares/smk-*-setA-share*.txt)
set_b=("$work"/shares/smk-*-setB-share*.txt)
[[ ${#set_a[@]} -eq 7 && ${#set_b[@]} -eq 7 ]] || { echo "demo: expected 7 files per set" >&2; exit 1; }

echo
echo "== 2. smk share verify-set: each whole set is consistent"
"$smk" share verify-set "${set_a[@]}"
"$smk" share verify-set "${set_b[@]}"

echo
echo "== 3. smk combine: five shares of set B, out of order; --expect-kcv $kcv"
"$smk" combine --expect-kcv "$kcv" --out "$work/smk.hex" \
    "${set_b[5]}" "${set_b[1]}" "${set_b[6]}" "${set_b[3]}" "${set_b[0]}" 2>&1
mode=$(stat -c %a "$work/smk.hex")
[[ $mode == 600 ]] || { echo "demo: $work/smk.hex has mode $mode, not 600" >&2; exit 1; }

echo
echo "KCV $kcv"
echo "demo: OK"
