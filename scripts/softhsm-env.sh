#!/bin/sh
# A private SoftHSM2 (never the system's): a config file and token directory in
# DIR, and one initialised token per LABEL:PIN[:SO_PIN] argument (SO PIN
# default: 12345678). Prints the environment to use it, e.g.
#   eval "$(scripts/softhsm-env.sh /tmp/hsm hsm-a:123456 hsm-b:123456)"
# Tokens are found by label (SoftHSM2 reassigns slot ids when one is created).
# The PINs pass through softhsm2-util's argv: this is for rehearsal and test
# tokens only, never for a real HSM.
set -eu

usage() {
    echo "usage: $0 DIR LABEL:PIN[:SO_PIN]..." >&2
    exit 2
}
[ $# -ge 1 ] || usage
dir=$1
shift
module=${SMK_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
command -v softhsm2-util >/dev/null 2>&1 || { echo "$0: softhsm2-util not found (apt-get install softhsm2)" >&2; exit 1; }
[ -f "$module" ] || { echo "$0: SoftHSM2 module $module not found" >&2; exit 1; }

mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
conf="$dir/softhsm2.conf"
if [ ! -f "$conf" ]; then
    cat >"$conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
fi
export SOFTHSM2_CONF="$conf"

for spec in "$@"; do
    label=${spec%%:*}
    rest=${spec#*:}
    [ "$label" != "$spec" ] && [ -n "$label" ] && [ -n "$rest" ] || usage
    pin=${rest%%:*}
    so_pin=12345678
    [ "$pin" = "$rest" ] || so_pin=${rest#*:}
    if softhsm2-util --show-slots 2>/dev/null | grep -q "^ *Label: *$label *\$"; then
        echo "$0: a token labelled \"$label\" exists in $dir already" >&2
        exit 1
    fi
    softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null
done

echo "export SOFTHSM2_CONF='$conf'"
echo "export SMK_PKCS11_MODULE='$module'"
