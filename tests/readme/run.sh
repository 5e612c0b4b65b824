#!/usr/bin/env bash
# tests/readme/run.sh: every command line in the ```sh blocks of README.md's
# "## Using smk" section, run verbatim and in order, so the docs cannot drift.
#
#   tests/readme/run.sh PATH/TO/smk PATH/TO/smk-cardsim [README.md]
#
# The rig (all private, all removed at exit):
# - a private mount namespace (unshare --mount): a tmpfs on /media holding the
#   loop-mounted ext4 test drives MASTER, WELLINGTON, ALBANY and AUCKLAND, so
#   nothing is mounted on the machine itself;
# - umockdev records making those loop devices USB sticks with the serials of
#   the README (and of docs/examples/ceremony-plan.toml); every README line runs
#   under umockdev-run, as the udev tests' smk does;
# - a private pcscd in its own mount and network namespace with 14 emulated
#   OpenPGP cards, serials 5AC00001.. (scripts/pcsc-env.sh), readers
#   "smk-cardsim 0 00 00" ...;
# - SoftHSM2 tokens rksh-3, hsm-a, hsm-b, hsm-wellington, hsm-auckland
#   (scripts/softhsm-env.sh), application keys app-key-1/2 and the RSA-2048
#   key pair ksk in hsm-a and
#   app-key-1 in hsm-wellington;
# - the files the README names: pin.txt, holder-N-pin.txt, token-pin.txt, admin-pin.txt,
#   smk.hex, backup.bin,
#   backup/, and ceremony-plan.toml made from docs/examples/ceremony-plan.toml.
#
# Each line runs with `bash -c LINE` in that directory, stdin /dev/null, the
# built smk first on PATH. Its exit status must be 0, or N when its comment
# says "fails: exit N". A few rig actions stand for what people do between
# two lines (a drive put back, cards taken out of the readers); each is tied to
# the line it precedes or follows and must be used exactly once. The test fails
# naming the README line of every failure, and fails when the number of lines
# run differs from the number of command lines in the section.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
smk=$(realpath "${1:?usage: run.sh SMK CARDSIM [README]}")
cardsim=$(realpath "${2:?usage: run.sh SMK CARDSIM [README]}")
readme=$(realpath "${3:-$root/README.md}")
readme_name=$(basename "$readme")
fail() { echo "readme: $*" >&2; exit 1; }

# --- the lines to run (read and checked before anything is set up) -----------
# Command lines: every non-blank, non-comment line inside a ```sh fence between
# "## Using smk" and the next "## " heading. NR is kept as the README line number.
mapfile -t entries < <(awk '
    /^## / { in_section = ($0 == "## Using smk") ; next }
    !in_section { next }
    /^```sh[ \t]*$/ { in_block = 1; next }
    /^```/ { in_block = 0; next }
    in_block && $0 !~ /^[ \t]*(#|$)/ { printf "%d\t%s\n", NR, $0 }
' "$readme")
total=${#entries[@]}
for entry in "${entries[@]}"; do
    [[ $entry != *\\ ]] || fail "$readme_name:${entry%%$'\t'*}: a command continued on the next line; write each command on one line (each line runs alone)"
done
grep -q '^## Using smk$' "$readme" || fail "no '## Using smk' section in $readme"
[[ $total -gt 0 ]] || fail "no command line found under '## Using smk' in $readme"
# Commands anywhere else in the section would not be run: a fence of another
# kind (```console, ```bash, ...) or an indented code line starting with smk.
mapfile -t stray < <(awk -v name="$readme_name" '
    /^## / { in_section = ($0 == "## Using smk"); next }
    !in_section { next }
    /^```/ {
        if (!in_block && $0 !~ /^```sh[ \t]*$/) printf "%s:%d: %s (only ```sh blocks are run)\n", name, NR, $0
        in_block = !in_block; next
    }
    !in_block && /^(    |\t)+[$]? ?smk / { printf "%s:%d: %s (indented code is not run)\n", name, NR, $0 }
' "$readme")
[[ ${#stray[@]} -eq 0 ]] || fail "commands in 'Using smk' outside a \`\`\`sh block, which this test would not run: ${stray[*]}"

[[ $(id -u) == 0 ]] || fail "needs root (mount namespace, loop mounts, private pcscd)"
for tool in unshare losetup mkfs.ext4 umockdev-run softhsm2-util pkcs11-tool; do
    command -v "$tool" >/dev/null || fail "'$tool' not found; run scripts/install-deps.sh"
done
[[ -x $smk && -x $cardsim ]] || fail "smk or smk-cardsim not built ($smk, $cardsim)"

# Re-run inside a private mount namespace: /media and the loop mounts stay in it.
if [[ ${SMK_README_NS:-} != 1 ]]; then
    exec env SMK_README_NS=1 unshare --mount --propagation private "$0" "$smk" "$cardsim" "$readme"
fi

umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/smk-readme.XXXXXX")
loops=()
cleanup() {
    local rc=$?
    set +e
    for m in /media/*; do mountpoint -q "$m" && umount "$m"; done
    for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
    [[ -f $work/pcsc/env ]] && "$root/scripts/pcsc-env.sh" stop "$work/pcsc" >/dev/null 2>&1
    if [[ ${SMK_README_KEEP:-0} == 1 ]]; then
        echo "readme: kept $work (SMK_README_KEEP=1)" >&2
    else
        rm -rf -- "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the rig ------------------------------------------------------------------
cd "$work"
PATH="$(dirname "$smk"):$PATH"
export PATH
"$smk" --version >/dev/null

"$root/scripts/pcsc-env.sh" start "$work/pcsc" 14 --fresh --serial-base 5AC00001 --binary "$cardsim" \
    --timeout 120 >/dev/null
# shellcheck disable=SC1091
source "$work/pcsc/env"
export PCSCLITE_CSOCK_NAME

# pkcs11-tool's --token-label matches a prefix ("hsm-a" would find
# "hsm-auckland"): each token gets its keys before a token whose label it
# prefixes exists.
make_keys() { # TOKEN LABEL:ID...
    local token=$1 spec label id
    shift
    for spec in "$@"; do
        label=${spec%%:*} id=${spec#*:}
        pkcs11-tool --module "$SMK_PKCS11_MODULE" --token-label "$token" --login --pin 123456 \
            --keygen --key-type AES:32 --label "$label" --id "$id" --extractable --sensitive >/dev/null 2>&1 ||
            fail "pkcs11-tool could not make $label in $token"
    done
}
eval "$("$root/scripts/softhsm-env.sh" "$work/hsm" rksh-3:123456 hsm-a:123456 hsm-b:123456 hsm-wellington:123456)"
make_keys hsm-a app-key-1:02 app-key-2:03
pkcs11-tool --module "$SMK_PKCS11_MODULE" --token-label hsm-a --login --pin 123456 \
    --keypairgen --key-type rsa:2048 --label ksk --id 4b53 --usage-sign --extractable >/dev/null 2>&1 ||
    fail "pkcs11-tool could not make the key pair ksk in hsm-a"
make_keys hsm-wellington app-key-1:02
eval "$("$root/scripts/softhsm-env.sh" "$work/hsm" hsm-auckland:123456)"

echo 123456 >pin.txt   # a new card's factory PIN
echo 123456 >token-pin.txt
echo 73019846 >admin-pin.txt   # the custodian's admin PIN, which issuance sets on every card
for h in 1 2 3 4 5 6 7; do echo "9${h}4720" >"holder-$h-pin.txt"; done   # each holder's own PIN
echo 8b1f5a0c3e7d29466c0f91e2a4b5d6c7e8f90a1b2c3d4e5f60718293a4b5c6d7 >smk.hex
head -c 300000 /dev/urandom >backup.bin
mkdir -p backup/hsm-backup backup/docs
echo "facility WELLINGTON HSM backup, rehearsal" >backup/hsm-backup/README.txt
head -c 100000 /dev/urandom >backup/hsm-backup/token-objects.bin
echo "restore procedure" >backup/docs/RESTORE.txt

# ceremony-plan.toml: the example plan with the rehearsal's PIN files, backup
# source and mount points (the drives below are the example plan's drives),
# without the example's application_backup_sha256 (the digest of a phase-1 file
# that this rehearsal makes anew: restore still checks the file's .sha256sum).
sed -e 's|^# pin_file = "/run/ceremony/holder-\([1-7]\)-pin".*|pin_file = "holder-\1-pin.txt"|' \
    -e 's|^# admin_pin_file = .*|admin_pin_file = "admin-pin.txt"|' \
    -e '/^application_backup_sha256 = /d' \
    -e 's|^labels = \[ "KSK" \]|labels = [ "app-key-1" ]|' \
    -e 's|{ label = "\(hsm-[a-z]*\)" }|{ label = "\1", pin_file = "token-pin.txt" }|' \
    -e 's|^source = .*|source = "backup/"|' \
    -e 's|/media/smk/|/media/|g' \
    "$root/docs/examples/ceremony-plan.toml" >ceremony-plan.toml
if [[ $(grep -c '^pin_file = "holder-[1-7]-pin.txt"' ceremony-plan.toml) != 7 ]] ||
    ! grep -q '^admin_pin_file = "admin-pin.txt"' ceremony-plan.toml ||
    ! grep -q '^source = "backup/"' ceremony-plan.toml ||
    ! grep -q '^labels = \[ "app-key-1" \]' ceremony-plan.toml ||
    [[ $(grep -c 'pin_file = "token-pin.txt"' ceremony-plan.toml) != 2 ]]; then
    fail "docs/examples/ceremony-plan.toml changed shape; update the plan edits in $0"
fi

# The drives: loop-mounted ext4 images under a private /media, described to
# libudev by umockdev records as USB sticks (scripts/usb-stick-record.sh).
mount -t tmpfs -o mode=0755 smk-readme-media /media
drive_names=(MASTER WELLINGTON ALBANY AUCKLAND)
drive_serials=(001CC0EC34BEFB90671D25F1 4C530001110000000001 4C530001110000000002 4C530001110000000003)
declare -A drive_loop=()
umockdev_args=()
for i in 0 1 2 3; do
    name=${drive_names[$i]}
    img="$work/drive-$name.img"
    truncate -s 32M "$img"
    mkfs.ext4 -q -L "$name" "$img"
    loop=$(losetup --find --show "$img")
    loops+=("$loop")
    drive_loop[$name]=$loop
    mkdir -p "/media/$name"
    mount "$loop" "/media/$name"
    "$root/scripts/usb-stick-record.sh" "$loop" "${drive_serials[$i]}" $((i + 1)) "$name" >"$work/drive-$name.umockdev"
    umockdev_args+=(--device "$work/drive-$name.umockdev")
done
"$root/scripts/usb-stick-record.sh" --controller >"$work/drive-controller.umockdev"
umockdev_args+=(--device "$work/drive-controller.umockdev")

# --- rig actions between lines ------------------------------------------------
# Keyed by a pattern the README line must match; "before" runs ahead of it,
# "after" once it succeeded. Each must fire exactly once.
remount() { # NAME: the drive is put back in and mounted (smk ejected it)
    mountpoint -q "/media/$1" || mount "${drive_loop[$1]}" "/media/$1"
}
set_receipt_values() { # $ID and $KCV from the receipt of the line just run
    ID=$(sed -n '/identifier/{s/.*identifier[^0-9]*\([0-9][0-9]*\).*/\1/p;q}' "$work/last.out")
    KCV=$(sed -n '/^ *KCV /{s/^ *KCV *\([0-9a-f]\{6\}\).*/\1/p;q}' "$work/last.out")
    [[ -n $ID && -n $KCV ]] || { echo "cannot read identifier and KCV from the receipt:"; cat "$work/last.out"; return 1; }
    ls shares/smk-"$ID"-setA-share1.txt >/dev/null || return 1
    export ID KCV
    echo "    (receipt: ID=$ID KCV=$KCV)"
}
pull_set_a_cards() { # the set A cards go back into their bags
    local i
    for i in 0 1 2 3 4 5 6; do "$root/scripts/pcsc-env.sh" card-stop "$work/pcsc" "$i" >/dev/null; done
}
replace_card() { # I: the card in reader I is replaced by a blank one with the same serial
    "$root/scripts/pcsc-env.sh" card-stop "$work/pcsc" "$1" >/dev/null
    rm -f "$work/pcsc/card-$1.state"
    "$root/scripts/pcsc-env.sh" card-start "$work/pcsc" "$1" >/dev/null
}
hook_when=(after before before before)
hook_pattern=('^smk split --out-dir shares/ ' '^smk ceremony backup-copies ' '^smk ceremony restore ' '^smk ceremony reissue .*--holder 3')
hook_action=(set_receipt_values 'remount MASTER' 'pull_set_a_cards; remount AUCKLAND' 'replace_card 9')
hook_used=(0 0 0 0)
run_hooks() { # when line
    local h
    for h in "${!hook_pattern[@]}"; do
        [[ ${hook_when[$h]} == "$1" && ${hook_used[$h]} == 0 ]] || continue
        [[ $2 =~ ${hook_pattern[$h]} ]] || continue
        hook_used[h]=1
        echo "    rig: ${hook_action[$h]}"
        # Rig actions run here, outside the umockdev testbed (mount needs the real /dev).
        eval "${hook_action[$h]}" || return 1
    done
}

# --- run every line -----------------------------------------------------------
ran=0
failed=()
for entry in "${entries[@]}"; do
    lineno=${entry%%$'\t'*}
    line=${entry#*$'\t'}
    want=0
    if [[ $line =~ \#.*fails:\ exit\ ([0-9]+) ]]; then want=${BASH_REMATCH[1]}; fi
    echo "$readme_name:$lineno: $line"
    if ! run_hooks before "$line"; then
        failed+=("$readme_name:$lineno: the rig action before it failed: $line")
        continue
    fi
    set +e
    umockdev-run "${umockdev_args[@]}" -- bash -c "$line" </dev/null >"$work/last.out" 2>"$work/last.err"
    rc=$?
    set -e
    ran=$((ran + 1))
    # The first 40 lines of its output (sed reads to the end: no SIGPIPE under pipefail).
    cat "$work/last.out" "$work/last.err" | sed -n -e '1,40s/^/    | /p' -e '41{s/.*/    | .../p}'
    if [[ $rc != "$want" ]]; then
        failed+=("$readme_name:$lineno: exit $rc, expected $want: $line")
        continue
    fi
    if ! run_hooks after "$line"; then
        failed+=("$readme_name:$lineno: the rig action after it failed: $line")
    fi
done

for h in "${!hook_pattern[@]}"; do
    [[ ${hook_used[$h]} == 1 ]] ||
        failed+=("rig action '${hook_action[$h]}' ($h): no README line matches /${hook_pattern[$h]}/; update $0")
done
[[ $ran == "$total" ]] || failed+=("ran $ran of the $total command lines of 'Using smk'")

echo
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'readme: FAILED %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "readme: all $total command lines of 'Using smk' in $readme ran as written"
