#!/usr/bin/env bash
# `make demo`: a complete ceremony rehearsal on virtual hardware (docs/CEREMONY.md).
#   usage: scripts/demo.sh PATH/TO/smk
#
# What it starts, all in one fresh temporary directory, and stops again at exit:
# - a private pcscd with vpcd readers and 14 emulated OpenPGP cards
#   (scripts/pcsc-env.sh, smk-cardsim), one per share: 7 holders x sets A and B;
# - two SoftHSM2 tokens standing for the HSMs of two facilities, WELLINGTON
#   (phase 1) and AUCKLAND (phase 2) (scripts/softhsm-env.sh);
# - four test drives MASTER, WELLINGTON, ALBANY, AUCKLAND: loop-mounted ext4
#   images whose USB serials come from umockdev records made for their loop
#   devices (smk sees them as USB sticks through umockdev-run).
# Then: a plan naming all of it (a trusted SMK: [key] trusted, each token's SO PIN in
# a file), `smk ceremony issue` at WELLINGTON, the KSK (an
# RSA-2048 key pair) made in the WELLINGTON HSM, `smk ceremony backup-keys` (the
# pair wrapped under the SMK into the HSM backup tree, its public key exported
# beside it), `smk ceremony backup-copies`,
# `smk ceremony restore` at AUCKLAND from the AUCKLAND drive (its USB serial and the
# backup's SHA-256 checked first, then the SMK from four cards and the sealed share
# of holder 7, who cannot travel (`smk transport seal`), then the KSK), the
# transcript checked and printed, and a message signed by
# the KSK at AUCKLAND verified by openssl against the public key exported at
# WELLINGTON. The last lines are `transcript: PATH`, one `SMK <facility> <token>:
# FLAGS` line per HSM (p11tool's view: private and trusted), one `KCV <facility> <token>: HEX`
# line per HSM and one `KSK <facility> <token>: SHA-256` line per HSM holding the
# KSK (the SHA-256 of its public key's DER).
#
# Non-interactive when stdin is not a terminal; on a terminal it pauses before
# each phase (the cards are virtual and already in their readers either way).
# Needs root (namespaces for pcscd, loop mounts).
set -euo pipefail
smk=$(realpath "${1:?usage: scripts/demo.sh PATH/TO/smk}")
here=$(cd "$(dirname "$0")" && pwd)
cardsim=$(realpath "$(dirname "$smk")/../smartcard/cardsim/smk-cardsim")
umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/smk-demo.XXXXXX")
keep=${SMK_DEMO_KEEP:-0}
loops=()
mounts=()

cleanup() {
    local rc=$?
    set +e
    for m in "${mounts[@]}"; do
        mountpoint -q "$m" && umount "$m"
    done
    for l in "${loops[@]}"; do
        losetup -d "$l" 2>/dev/null
    done
    [[ -f $work/pcsc/env ]] && "$here/pcsc-env.sh" stop "$work/pcsc" >/dev/null 2>&1
    if [[ $keep == 1 ]]; then
        echo "demo: kept $work (SMK_DEMO_KEEP=1)" >&2
    else
        rm -rf -- "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

interactive=0
[[ -t 0 ]] && interactive=1
phase() {
    echo
    echo "== $*"
    if [[ $interactive == 1 ]]; then
        read -r -p "   press Enter to go on (Ctrl-C stops and cleans up) " _
    fi
}
fail() { echo "demo: $*" >&2; exit 1; }
# Waits until pcscd shows N readers empty (a pulled card takes a moment).
wait_for_empty_readers() {
    local empty=0
    for _ in $(seq 40); do
        empty=$("$smk" card list 2>/dev/null | grep -c ': no card$' || true)
        [[ $empty -ge $1 ]] && return 0
        sleep 0.25
    done
    fail "pcscd still shows $2"
}

[[ $(id -u) == 0 ]] || fail "needs root (private pcscd in namespaces, loop mounts)"
[[ -x $cardsim ]] || fail "no smk-cardsim at $cardsim (build it: cmake --build ... --target smk-cardsim)"
command -v umockdev-run >/dev/null || fail "umockdev-run missing (apt-get install umockdev)"
"$smk" --version

phase "0. Virtual hardware: 14 cards, 2 HSM tokens, 4 drives"
"$here/pcsc-env.sh" start "$work/pcsc" 14 --fresh --serial-base 5AC00001 --binary "$cardsim" >/dev/null
# shellcheck disable=SC1091
source "$work/pcsc/env"
export PCSCLITE_CSOCK_NAME
card_serial() { local v="SMK_PCSC_SERIAL_$1"; echo "FFFF:${!v}"; }
eval "$("$here/softhsm-env.sh" "$work/hsm" hsm-wellington:246810 hsm-auckland:246810)"
# Each holder's own card PIN (in a real ceremony the holder types it twice), and the
# custodian's admin PIN: issuance puts them on every card in place of the factory PINs.
for h in 1 2 3 4 5 6 7; do echo "9${h}4720" >"$work/holder-$h-pin"; done
echo 73019846 >"$work/card-admin-pin"
echo 246810 >"$work/token-pin"
echo 12345678 >"$work/token-so-pin"  # softhsm-env.sh's SO PIN: the SMK is installed trusted
echo "  14 cards: $(card_serial 0) ... $(card_serial 13); tokens hsm-wellington, hsm-auckland"
# The HSMs' acceptance records: each token's serial as OpenSC's pkcs11-tool reads it.
# The plan pins them; a token with the right label and another serial is refused.
token_serial() {
    pkcs11-tool --module "$SMK_PKCS11_MODULE" -L 2>/dev/null |
        awk -v label="$1" '/token label/ { l = $NF } /serial num/ && l == label { print $NF }'
}
wellington_serial=$(token_serial hsm-wellington)
auckland_serial=$(token_serial hsm-auckland)
[[ -n $wellington_serial && -n $auckland_serial ]] || fail "pkcs11-tool -L shows no serial for the demo tokens"
echo "  HSM acceptance records (pkcs11-tool -L): hsm-wellington serial $wellington_serial, hsm-auckland serial $auckland_serial"

drive_names=(MASTER WELLINGTON ALBANY AUCKLAND)
drive_serials=(001CC0EC34BEFB90671D25F1 4C530001110000000001 4C530001110000000002 4C530001110000000003)
# Custody: two drives per facility (the Master among WELLINGTON's), each in its bag to a person.
drive_facilities=(WELLINGTON WELLINGTON AUCKLAND AUCKLAND)
drive_bags=(TEB-D00001 TEB-D00002 TEB-D00003 TEB-D00004)
drive_recipients=("Sam Sysadmin" "Sam Sysadmin" "Aroha Smith" "Aroha Smith")
umockdev_args=()
for i in 0 1 2 3; do
    name=${drive_names[$i]}
    img="$work/drive-$name.img"
    truncate -s 32M "$img"
    mkfs.ext4 -q -L "$name" "$img"
    loop=$(losetup --find --show "$img")
    loops+=("$loop")
    mkdir -p "$work/media/$name"
    mount "$loop" "$work/media/$name"
    mounts+=("$work/media/$name")
    # The umockdev record that shows the loop device to libudev as a USB stick
    # with this USB serial on port i+1 (the same record the README test uses).
    "$here/usb-stick-record.sh" "$loop" "${drive_serials[$i]}" $((i + 1)) "$name" \
        >"$work/drive-$name.umockdev"
    umockdev_args+=(--device "$work/drive-$name.umockdev")
    echo "  drive $name: $loop ($((0x$(stat -c %t "$loop"))):$((0x$(stat -c %T "$loop")))) at $work/media/$name, USB serial ${drive_serials[$i]}"
done
"$here/usb-stick-record.sh" --controller >"$work/drive-controller.umockdev"
umockdev_args+=(--device "$work/drive-controller.umockdev")

# The HSM backup tree the System Administrator copies (the application-key
# backup is added to it after issuance).
mkdir -p "$work/hsm-backup/hsm-backup"
echo "facility WELLINGTON HSM backup, rehearsal" >"$work/hsm-backup/hsm-backup/README.txt"

plan="$work/ceremony-plan.toml"
{
    echo "version = 1"
    echo "name = \"smk make demo rehearsal\""
    echo "transcript = \"ceremony.transcript.jsonl\""
    echo
    echo "[key]"
    echo "label = \"SMK\""
    echo "id = \"01\""
    echo "trusted = true"
    echo
    echo "[cards]"
    echo "pins = \"set-at-issuance\""
    echo "admin_pin_file = \"$work/card-admin-pin\""
    echo "admin_pin_custodian = \"Carol Admin\""
    echo
    # The people in the room, named at the start of every flow (--confirm-participants:
    # the Ceremony Administrator vouches that they are present; else smk asks).
    for person in "Carol Admin:ceremony-administrator" "Ivan Witness:internal-witness" \
        "Sam Sysadmin:system-administrator"; do
        echo "[[participants]]"
        echo "name = \"${person%%:*}\""
        echo "role = \"${person#*:}\""
        echo
    done
    echo "[[facilities]]"
    echo "name = \"WELLINGTON\""
    echo "module = \"$SMK_PKCS11_MODULE\""
    echo "tokens = [ { label = \"hsm-wellington\", serial = \"$wellington_serial\", model = \"SoftHSM v2\", pin_file = \"$work/token-pin\", so_pin_file = \"$work/token-so-pin\" } ]"
    echo
    echo "[[facilities]]"
    echo "name = \"AUCKLAND\""
    echo "module = \"$SMK_PKCS11_MODULE\""
    echo "tokens = [ { label = \"hsm-auckland\", serial = \"$auckland_serial\", model = \"SoftHSM v2\", pin_file = \"$work/token-pin\", so_pin_file = \"$work/token-so-pin\" } ]"
    echo "application_backup = \"$work/media/AUCKLAND/hsm-backup/application-keys.smkwrap\""
    for h in 1 2 3 4 5 6 7; do
        echo
        echo "[[holders]]"
        echo "name = \"Holder $h\""
        echo "pin_file = \"$work/holder-$h-pin\""
        echo "cards = [ { set = \"A\", index = $h, serial = \"$(card_serial $((h - 1)))\", bag = \"TEB-10000$h\" },"
        echo "          { set = \"B\", index = $h, serial = \"$(card_serial $((h + 6)))\", bag = \"TEB-10000$h\" } ]"
    done
    echo
    echo "[backup]"
    echo "source = \"$work/hsm-backup/\""
    echo
    echo "[application_keys]"
    echo "facility = \"WELLINGTON\""
    echo "labels = [ \"KSK\" ]"
    echo "backup = \"hsm-backup/application-keys.smkwrap\""
    for i in 0 1 2 3; do
        echo
        echo "[[drives]]"
        echo "name = \"${drive_names[$i]}\""
        echo "usb_serial = \"${drive_serials[$i]}\""
        echo "mount = \"$work/media/${drive_names[$i]}\""
        echo "facility = \"${drive_facilities[$i]}\""
        echo "bag = \"${drive_bags[$i]}\""
        echo "recipient = \"${drive_recipients[$i]}\""
    done
} >"$plan"
"$smk" ceremony check "$plan" >/dev/null
echo "  plan: $plan"

phase "1. smk ceremony issue at WELLINGTON: SMK generated, 14 cards written, HSM token loaded"
"$smk" ceremony issue "$plan" --batch --facility WELLINGTON --confirm-participants
issued=$(ls "$work"/ceremony-plan-id*.toml)
echo "  issued plan: $issued"

phase "1b. The KSK: an RSA-2048 key pair made in the WELLINGTON HSM; smk ceremony backup-keys backs it up under the SMK and exports its public key"
pkcs11-tool --module "$SMK_PKCS11_MODULE" --token-label hsm-wellington --login --pin 246810 \
    --keypairgen --key-type rsa:2048 --label KSK --id 4b53 --usage-sign --extractable >/dev/null 2>&1 ||
    fail "pkcs11-tool could not make the KSK"
# Phase 1 from the plan: the KSK wrapped under the SMK into the backup tree, read back
# from the device, its SHA-256 printed for the paper script; its public key exported
# beside it (KSK.public.der): the second facility checks its signatures against it.
"$smk" ceremony backup-keys "$issued" --confirm-participants

phase "2. smk ceremony backup-copies: MASTER, then WELLINGTON, ALBANY, AUCKLAND"
umockdev-run "${umockdev_args[@]}" -- "$smk" ceremony backup-copies "$issued" --confirm-participants
# The AUCKLAND copy travels to the second facility and is mounted there.
mount "${loops[3]}" "$work/media/AUCKLAND"

phase "3. smk ceremony restore at AUCKLAND (phase 2), from four cards of set B and holder 7's sealed share"
# The holders bring their set B cards; the set A cards stay in their bags. Holder 7
# cannot travel and takes part from their own machine (docs/TRANSPORT.md).
for i in 0 1 2 3 4 5 6; do
    "$here/pcsc-env.sh" card-stop "$work/pcsc" "$i" >/dev/null
done
wait_for_empty_readers 7 "the set A cards after they were pulled"
# The phase-2 plan: the issued plan with the backup's SHA-256 from the phase-1 paper
# script (taken here with coreutils, not smk) in the AUCKLAND facility. restore checks
# the AUCKLAND drive's USB serial and this SHA-256 before it opens the HSM token.
backup_sha256=$(sha256sum "$work/hsm-backup/hsm-backup/application-keys.smkwrap" | cut -d' ' -f1)
phase2="$work/ceremony-plan-phase2.toml"
sed "s|^application_backup = .*|&\napplication_backup_sha256 = \"$backup_sha256\"|" "$issued" >"$phase2"
grep -q "^application_backup_sha256 = \"$backup_sha256\"" "$phase2" || fail "could not write $phase2"
echo "  phase-2 plan: $phase2 (application backup SHA-256 $backup_sha256)"
# The restore shows a key made for it alone (words, a QR code, the fingerprint to read
# aloud; here also as a file and a PNG to send), then reads holder 7's sealed share
# from stdin: who presents it, then its file.
context="KSK rehearsal restore at AUCKLAND"
mkfifo "$work/sealed-shares"
umockdev-run "${umockdev_args[@]}" -- "$smk" ceremony restore "$phase2" --batch --facility AUCKLAND \
    --confirm-participants --remote 7 --context "$context" \
    --facility-key-out "$work/facility-key.txt" --facility-key-png "$work/facility-key.png" \
    <"$work/sealed-shares" >"$work/restore.out" &
restore_pid=$!
exec 3>"$work/sealed-shares"
for _ in $(seq 240); do
    [[ -s $work/facility-key.txt ]] && break
    kill -0 "$restore_pid" 2>/dev/null || break
    sleep 0.25
done
[[ -s $work/facility-key.txt ]] || fail "the restore did not show its facility key"
# Holder 7 takes the key from the PNG with zbarimg, a QR reader smk did not write: the
# same words as the file.
zbarimg --raw -q "$work/facility-key.png" 2>/dev/null | sed '$d' | cmp -s - "$work/facility-key.txt" ||
    fail "the facility key's QR code does not hold its words"
# On holder 7's machine: their set B card (card 13) and their PIN; they read the
# fingerprint words aloud and seal the share to the key.
"$smk" transport seal --to "$work/facility-key.txt" --context "$context" --expect-set B \
    --reader "$SMK_PCSC_READER_13" --pin-file "$work/holder-7-pin" --out "$work/sealed-7.txt"
# Holder 7's card stays with them, out of the facility's readers.
"$here/pcsc-env.sh" card-stop "$work/pcsc" 13 >/dev/null
wait_for_empty_readers 8 "holder 7's card after it was pulled"
printf 'Holder 7 (on a video call)\n%s\n' "$work/sealed-7.txt" >&3
exec 3>&-
wait "$restore_pid" || fail "smk ceremony restore failed"
cat "$work/restore.out"

phase "4. The transcript"
# The value the last flow told the witnesses to write on the paper script (hex, and
# the PGP words they read aloud): the transcript must end with exactly that line.
paper_hex=$(grep -A1 'write on the paper script' "$work/restore.out" | sed -n '2s/^ *//p')
paper_words=$(sed -n 's/^  PGP words: //p' "$work/restore.out" | tail -n 1)
[[ ${#paper_hex} == 64 && -n $paper_words ]] || fail "restore printed no last-line value for the paper script"
"$smk" transcript verify "$work/ceremony.transcript.jsonl" --expect-last "$paper_hex"
"$smk" transcript verify "$work/ceremony.transcript.jsonl" --expect-last "$paper_words" >/dev/null
"$smk" transcript print "$work/ceremony.transcript.jsonl"
# The transcript holds no secret: it outlives the rehearsal's directory.
transcript=$(mktemp "${TMPDIR:-/tmp}/smk-demo-transcript.XXXXXX")
mv "$transcript" "$transcript.jsonl"
transcript="$transcript.jsonl"
cp "$work/ceremony.transcript.jsonl" "$transcript"
chmod 0644 "$transcript"

phase "5. The KSK restored at AUCKLAND signs; openssl verifies against the public key exported at WELLINGTON"
openssl pkey -pubin -inform DER -in "$work/media/AUCKLAND/hsm-backup/KSK.public.der" -out "$work/ksk-public.pem" ||
    fail "openssl cannot read the KSK public key from the AUCKLAND drive"
echo "smk make demo: a message signed by the KSK at AUCKLAND" >"$work/message"
# pkcs11-tool signs with CKM_SHA256_RSA_PKCS part by part, which SoftHSM2 2.6.1 on
# OpenSSL 3 fails; so it gets the PKCS#1 v1.5 DigestInfo of the message's SHA-256
# (RFC 8017 section 9.2) and signs that with CKM_RSA_PKCS in one C_Sign: the same
# signature, which openssl checks as an ordinary SHA-256 RSA signature.
{
    printf '%b' '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'
    openssl dgst -sha256 -binary "$work/message"
} >"$work/message.digestinfo"
pkcs11-tool --module "$SMK_PKCS11_MODULE" --token-label hsm-auckland --login --pin 246810 \
    --sign --id 4b53 -m RSA-PKCS -i "$work/message.digestinfo" -o "$work/message.sig" >/dev/null 2>&1 ||
    fail "the KSK at AUCKLAND could not sign (pkcs11-tool --sign)"
openssl dgst -sha256 -verify "$work/ksk-public.pem" -signature "$work/message.sig" "$work/message" ||
    fail "the signature made at AUCKLAND does not verify against the public key exported at WELLINGTON"

echo
echo "transcript: $transcript"
for facility_token in WELLINGTON:hsm-wellington AUCKLAND:hsm-auckland; do
    facility=${facility_token%%:*}
    token=${facility_token#*:}
    # The SMK is private and trusted, as GnuTLS's p11tool (not smk) reads its flags.
    flags=$(GNUTLS_PIN=246810 p11tool --provider "$SMK_PKCS11_MODULE" --list-all --login \
        "pkcs11:token=$token;object=SMK" 2>/dev/null | sed -n 's/^[[:space:]]*Flags: //p')
    [[ $flags == *"CKA_PRIVATE; CKA_TRUSTED;"* ]] ||
        fail "p11tool does not show the SMK on $token as private and trusted (flags: $flags)"
    echo "SMK $facility $token: $flags(p11tool)"
    kcv=$("$smk" hsm kcv --pkcs11-module "$SMK_PKCS11_MODULE" --token "$token" --pin-file "$work/token-pin" \
        --label SMK --json | sed -n 's/.*"kcv": *"\([0-9a-f]*\)".*/\1/p')
    [[ $kcv =~ ^[0-9a-f]{6}$ ]] || fail "no KCV from token $token"
    echo "KCV $facility $token: $kcv"
done
for facility_token in WELLINGTON:hsm-wellington AUCKLAND:hsm-auckland; do
    facility=${facility_token%%:*}
    token=${facility_token#*:}
    "$smk" hsm export-public --pkcs11-module "$SMK_PKCS11_MODULE" --token "$token" --pin-file "$work/token-pin" \
        --label KSK --out "$work/ksk-$facility.der" >/dev/null
    cmp -s "$work/ksk-$facility.der" "$work/media/AUCKLAND/hsm-backup/KSK.public.der" ||
        fail "the KSK public key on $token differs from the one exported at WELLINGTON"
    echo "KSK $facility $token: $(sha256sum <"$work/ksk-$facility.der" | cut -d' ' -f1)"
done
