#!/usr/bin/env bash
# Benchmark, reported and never a pass/fail test of speed: one OpenPGP card
# (smk-cardsim on a private pcscd + vpcd, scripts/pcsc-env.sh), per card:
#
#   smk card write (with its read-back), read, verify, and attest when smk has it;
#   OpenSC's `openpgp-tool --verify CHV2 --do 3` reading DO 0103, the tool people use;
#   the device's own limit: scriptor (pcsc-tools) sending only the APDUs the
#   operation needs (SELECT, VERIFY 82, PUT DATA, GET DATA), one process, no checks.
#
# For each: the best wall time of REPEAT runs (a process start included), and the
# APDUs the card answered per run (counted in the card's log). Ratios in the same
# run: smk / device limit and openpgp-tool / smk for reading. Exits non-zero if a
# command fails or the share read back differs from the one written.
#
# Usage: bench/cards.sh BUILD_DIR        (e.g. build/release; needs root)
# Environment: REPEAT (default 10).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(readlink -f "$1")
smk=$build/cli/smk
cardsim=$build/smartcard/cardsim/smk-cardsim
repeat=${REPEAT:-10}
here=$(cd "$(dirname "$0")" && pwd)

for tool in scriptor openpgp-tool awk; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x "$smk" ] && [ -x "$cardsim" ] || { echo "bench: build smk and smk-cardsim first ($build)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/smk-bench-cards.XXXXXX")
stack=$work/stack
cleanup() {
  "$here/../scripts/pcsc-env.sh" stop "$stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$stack"
"$here/../scripts/pcsc-env.sh" start "$stack" 1 --fresh --binary "$cardsim" >"$work/stack.log" 2>&1 ||
  { cat "$work/stack.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$stack/env"
export PCSCLITE_CSOCK_NAME
reader=$SMK_PCSC_READER_0
card_log=$stack/card-0.log
printf '123456\n' >"$work/pin"
"$smk" split --group 2/3 --out-dir "$work/shares" </dev/null >/dev/null
share=$(ls "$work/shares"/*setA-share1.txt)

apdus() { grep -c -- '->' "$card_log" || true; }

# measure NAME CMD...: best wall time (ms) of `repeat` runs -> best_ms; APDUs per run -> per_run.
measure() {
  local name=$1 i start end ms before
  shift
  best_ms=""
  before=$(apdus)
  for ((i = 1; i <= repeat; i++)); do
    start=$(date +%s%N)
    if ! "$@" >"$work/$name.out" 2>"$work/$name.err"; then
      echo "bench: $name failed:" >&2
      cat "$work/$name.err" >&2
      exit 1
    fi
    end=$(date +%s%N)
    ms=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
    if [ -z "$best_ms" ] || awk -v x="$ms" -v y="$best_ms" 'BEGIN { exit !(x < y) }'; then
      best_ms=$ms
    fi
  done
  per_run=$(( ($(apdus) - before) / repeat ))
}

report() { printf '%-34s %9s ms %4s APDUs\n' "$1" "$2" "$3"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "one card, $repeat runs each, best wall time; $(uname -r), smk-cardsim on vpcd"

measure write "$smk" card write --reader "$reader" --pin-file "$work/pin" --overwrite "$share"
write_ms=$best_ms
report "smk card write (+ read-back)" "$write_ms" "$per_run"

measure read "$smk" card read --reader "$reader" --pin-file "$work/pin" --out -
read_ms=$best_ms
cmp -s "$work/read.out" "$share" || { echo "bench: the share read back differs from $share" >&2; exit 1; }
report "smk card read" "$read_ms" "$per_run"

measure verify "$smk" card verify --reader "$reader" --pin-file "$work/pin"
report "smk card verify" "$best_ms" "$per_run"

# The record smk wrote, read raw, for the device-limit write to send again.
printf '00 A4 04 00 06 D2 76 00 01 24 01\n00 20 00 82 06 31 32 33 34 35 36\n00 CA 01 03 00\n' \
  >"$work/get.apdu"
record=$(scriptor -r "$reader" "$work/get.apdu" 2>/dev/null |
  awk '/^< /{on=1; sub(/^< /, "")} on{print} /: Normal processing/{on=0}' | tail -n 5 |
  sed 's/ : Normal processing.*//; s/ 90 00$//' | tr -d ' \n')
[ $((${#record} / 2)) -gt 32 ] || { echo "bench: could not read the record raw with scriptor" >&2; exit 1; }

floor_script() {
  printf '00 A4 04 00 06 D2 76 00 01 24 01\n00 20 00 82 06 31 32 33 34 35 36\n'
  if [ "$1" = write ]; then
    printf '00 DA 01 03 %02X %s\n' $((${#record} / 2)) "$(sed 's/../& /g' <<<"$record")"
  fi
  printf '00 CA 01 03 00\n'
}
floor_script write >"$work/floor-write.apdu"
floor_script read >"$work/floor-read.apdu"
measure floor_write scriptor -r "$reader" "$work/floor-write.apdu"
floor_write_ms=$best_ms
report "device limit: scriptor write+read" "$floor_write_ms" "$per_run"
measure floor_read scriptor -r "$reader" "$work/floor-read.apdu"
floor_read_ms=$best_ms
report "device limit: scriptor read" "$floor_read_ms" "$per_run"

measure opensc openpgp-tool -r 0 --verify CHV2 --pin 123456 --do 3
opensc_ms=$best_ms
report "openpgp-tool --do 3 (OpenSC read)" "$opensc_ms" "$per_run"

echo "ratios: smk write / device limit $(ratio "$write_ms" "$floor_write_ms")," \
  "smk read / device limit $(ratio "$read_ms" "$floor_read_ms")," \
  "openpgp-tool read / smk read $(ratio "$opensc_ms" "$read_ms")"
