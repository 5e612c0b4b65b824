#!/usr/bin/env bash
# Benchmark, reported and never a pass/fail test of speed: one OpenPGP card
# (smk-cardsim on a private pcscd + vpcd, scripts/pcsc-env.sh), per card:
#
#   smk card write (with its read-back), read, verify;
#   smk card keygen, once (a second key would replace the first: the public key
#   recorded at issuance would no longer attest), and smk card attest;
#   OpenSC's `openpgp-tool --verify CHV2 --do 3` reading DO 0103, the tool people use;
#   GnuPG's `gpg-connect-agent 'SCD PKAUTH OPENPGP.3'` signing with the key smk
#   generated, the tool people use for the authentication key (scdaemon over
#   PC/SC, kept running between runs as it is on a desktop; skipped with a note
#   when GnuPG is not installed). OpenSC's pkcs15-crypt is not used: GnuPG is
#   the client the tests already check against the emulator's key;
#   the device's own limit: scriptor (pcsc-tools) sending only the APDUs the
#   operation needs (SELECT, VERIFY 82, PUT DATA, GET DATA), one process, no checks.
#
# For each: the best wall time of REPEAT runs (a process start included), and the
# APDUs the card answered per run (counted in the card's log); keygen: its one
# run. Ratios in the same run: smk / device limit, openpgp-tool / smk for
# reading, gpg / smk for attest. Exits non-zero if a command fails, the share read
# back differs from the one written, or openssl does not verify an attestation or
# GnuPG's signature with the public key smk wrote.
#
# Usage: bench/cards.sh BUILD_DIR        (e.g. build/release; needs root)
# Environment: REPEAT (default 10); PROFILE: the emulated card's profile
# (smk-cardsim --profile: yubikey5, nitrokey3, smartpgp, pico-openpgp-4.6; default
# the generic card; gnuk has no private DOs, so nothing here runs on it).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(readlink -f "$1")
smk=$build/cli/smk
cardsim=$build/smartcard/cardsim/smk-cardsim
repeat=${REPEAT:-10}
profile=${PROFILE:-}
card_opts=()
if [ -n "$profile" ]; then
  card_opts=(--card-opts 0 "--profile $profile")
fi
here=$(cd "$(dirname "$0")" && pwd)

for tool in scriptor openpgp-tool openssl awk od; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x "$smk" ] && [ -x "$cardsim" ] || { echo "bench: build smk and smk-cardsim first ($build)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/smk-bench-cards.XXXXXX")
stack=$work/stack
gnupg=$work/gnupg
cleanup() {
  if [ -d "$gnupg" ]; then
    GNUPGHOME=$gnupg gpgconf --kill all >/dev/null 2>&1 || true
  fi
  "$here/../scripts/pcsc-env.sh" stop "$stack" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$stack"
"$here/../scripts/pcsc-env.sh" start "$stack" 1 --fresh --binary "$cardsim" "${card_opts[@]}" \
  >"$work/stack.log" 2>&1 ||
  { cat "$work/stack.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$stack/env"
export PCSCLITE_CSOCK_NAME
reader=$SMK_PCSC_READER_0
card_log=$stack/card-0.log
printf '123456\n' >"$work/pin"
printf '12345678\n' >"$work/admin-pin"
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

# once NAME CMD...: one run -> once_ms, its APDUs -> per_run.
once() {
  local name=$1 start end before
  shift
  before=$(apdus)
  start=$(date +%s%N)
  if ! "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    echo "bench: $name failed:" >&2
    cat "$work/$name.err" >&2
    exit 1
  fi
  end=$(date +%s%N)
  once_ms=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
  per_run=$(($(apdus) - before))
}

# openssl_check KEY SIGNATURE MESSAGE WHAT: exit unless openssl verifies it.
openssl_check() {
  if ! openssl dgst -sha256 -verify "$1" -signature "$2" "$3" >"$work/openssl.out" 2>&1; then
    echo "bench: openssl does not verify $4:" >&2
    cat "$work/openssl.out" >&2
    exit 1
  fi
}

report() { printf '%-34s %9s ms %4s APDUs\n' "$1" "$2" "$3"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "one card, $repeat runs each, best wall time; $(uname -r), smk-cardsim on vpcd, profile ${profile:-generic}"

measure write "$smk" card write --reader "$reader" --pin-file "$work/pin" --overwrite "$share"
write_ms=$best_ms
report "smk card write (+ read-back)" "$write_ms" "$per_run"

measure read "$smk" card read --reader "$reader" --pin-file "$work/pin" --out -
read_ms=$best_ms
cmp -s "$work/read.out" "$share" || { echo "bench: the share read back differs from $share" >&2; exit 1; }
report "smk card read" "$read_ms" "$per_run"

measure verify "$smk" card verify --reader "$reader" --pin-file "$work/pin"
report "smk card verify" "$best_ms" "$per_run"

# The authentication key: generated once, then the card answers challenges.
once keygen "$smk" card keygen --reader "$reader" --admin-pin-file "$work/admin-pin" \
  --public-key-out "$work/auth.pem"
report "smk card keygen (once)" "$once_ms" "$per_run"
measure attest "$smk" card attest --reader "$reader" --pin-file "$work/pin" \
  --public-key "$work/auth.pem"
attest_ms=$best_ms
report "smk card attest" "$attest_ms" "$per_run"
# The evidence a verifier gets, checked by openssl (not timed).
"$smk" card attest --reader "$reader" --pin-file "$work/pin" --public-key "$work/auth.pem" \
  --message-out "$work/attest.msg" --signature-out "$work/attest.sig" >/dev/null
openssl_check "$work/auth.pem" "$work/attest.sig" "$work/attest.msg" "smk's attestation"

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

# GnuPG signs with the authentication key: SCD PKAUTH is INTERNAL AUTHENTICATE
# of the DigestInfo given with SETDATA; pinentry is a script answering the PIN.
gpg_ratio=""
if command -v gpg-connect-agent >/dev/null && command -v gpgconf >/dev/null; then
  mkdir -m 700 "$gnupg"
  printf 'disable-ccid\npcsc-shared\nreader-port %s\n' "$reader" >"$gnupg/scdaemon.conf"
  cat >"$gnupg/pinentry.sh" <<'EOF'
#!/bin/sh
echo OK
while read -r cmd _; do
  case "$cmd" in
    GETPIN) echo "D 123456"; echo OK ;;
    BYE) echo OK; exit 0 ;;
    *) echo OK ;;
  esac
done
EOF
  chmod 700 "$gnupg/pinentry.sh"
  printf 'pinentry-program %s\n' "$gnupg/pinentry.sh" >"$gnupg/gpg-agent.conf"
  printf 'signed by scdaemon\n' >"$work/gpg.msg"
  digest_info=3031300D060960864801650304020105000420$(openssl dgst -sha256 -binary "$work/gpg.msg" |
    od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
  # gpg-connect-agent exits 0 after an ERR answer: the answer is checked.
  gpg_pkauth() {
    rm -f "$work/gpg.sig"
    if ! GNUPGHOME=$gnupg gpg-connect-agent "/datafile $work/gpg.sig" "SCD SERIALNO" \
      "SCD SETDATA $digest_info" "SCD PKAUTH OPENPGP.3" /bye >"$work/gpg-agent.out" 2>&1 ||
      grep -q '^ERR' "$work/gpg-agent.out"; then
      cat "$work/gpg-agent.out" >&2
      return 1
    fi
  }
  # The first run starts gpg-agent and scdaemon and reads the card: not timed.
  once gpg_first gpg_pkauth
  openssl_check "$work/auth.pem" "$work/gpg.sig" "$work/gpg.msg" "GnuPG's PKAUTH signature"
  first_apdus=$per_run
  measure gpg gpg_pkauth
  gpg_ratio=", gpg PKAUTH / smk attest $(ratio "$best_ms" "$attest_ms")"
  report "gpg-connect-agent SCD PKAUTH" "$best_ms" "$per_run"
  echo "  (scdaemon running; its first run, not timed, sent $first_apdus APDUs; the PIN stays verified in it)"
else
  echo "gpg-connect-agent SCD PKAUTH: skipped (GnuPG is not installed)"
fi

echo "ratios: smk write / device limit $(ratio "$write_ms" "$floor_write_ms")," \
  "smk read / device limit $(ratio "$read_ms" "$floor_read_ms")," \
  "openpgp-tool read / smk read $(ratio "$opensc_ms" "$read_ms")$gpg_ratio"
