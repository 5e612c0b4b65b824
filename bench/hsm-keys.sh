#!/usr/bin/env bash
# Benchmark, reported and never a pass/fail test of speed: backing up and restoring
# the application keys of an HSM (seed 001's holds 200 RSA-2048 key pairs) under
# the SMK, on SoftHSM2 tokens:
#   * `smk hsm backup` of COUNT key pairs on facility-1 and `smk hsm restore-backup`
#     onto facility-2, per key;
#   * beside them, the token's own time for one C_WrapKey and one C_UnwrapKey of an
#     RSA-2048 private key (bench/hsm_wrap_baseline.cpp, raw PKCS#11, none of smk's
#     code), so the overhead smk adds is visible as a ratio. smk's restore also
#     creates each public key and checks the pair with a signature the new public
#     key verifies; its backup reads every attribute and parses the file back.
# The restore is checked: facility-2 lists COUNT RSA private keys afterwards.
#
# Usage: bench/hsm-keys.sh BUILD_DIR      (BUILD_DIR/cli/smk, BUILD_DIR/bench/smk_bench_hsm_wrap)
# Environment: COUNT (default 200), BENCH_DIR (default $TMPDIR or /tmp).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(readlink -f "$1")
smk=$build/cli/smk
baseline=$build/bench/smk_bench_hsm_wrap
count=${COUNT:-200}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
module=${SMK_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
here=$(cd "$(dirname "$0")" && pwd)

for tool in pkcs11-tool softhsm2-util awk; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x "$smk" ] || { echo "bench: $smk is not an executable (build first)" >&2; exit 2; }
[ -x "$baseline" ] || { echo "bench: $baseline is not an executable (build first)" >&2; exit 2; }

work=$(mktemp -d "$bench_dir/smk-bench-hsm.XXXXXX")
trap 'rm -rf "$work"' EXIT
eval "$("$here/../scripts/softhsm-env.sh" "$work/hsm" facility-1:123456 facility-2:123456)"
printf '123456\n' >"$work/pin"
now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" -v n="${3:-1}" 'BEGIN { printf "%.2f", (b - a) / 1e6 / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }

echo "bench: $count RSA-2048 key pairs, SoftHSM2 $(dpkg-query -W -f '${Version}' softhsm2 2>/dev/null || echo '?'), $(nproc) CPUs"
"$smk" split --out-dir "$work/shares" >/dev/null
mapfile -t shares < <(find "$work/shares" -name '*-setA-share*.txt' | sort | head -n 5)
for token in facility-1 facility-2; do
  "$smk" hsm install --pkcs11-module "$module" --token "$token" --pin-file "$work/pin" \
    --label smk "${shares[@]}" >/dev/null
done

start=$(now)
keys=()
for ((i = 1; i <= count; i++)); do
  pkcs11-tool --module "$module" --token-label facility-1 --login --pin 123456 --keypairgen \
    --key-type rsa:2048 --label "ksk-$i" --id "$(printf '%04x' "$i")" --extractable \
    --usage-sign >/dev/null 2>&1 || { echo "bench: pkcs11-tool --keypairgen ksk-$i failed" >&2; exit 1; }
  keys+=(--key "ksk-$i")
done
keygen_ms=$(ms "$start" "$(now)" "$count")

start=$(now)
"$smk" hsm backup --pkcs11-module "$module" --token facility-1 --pin-file "$work/pin" \
  --wrap-with smk "${keys[@]}" --out "$work/keys.smkwrap" >"$work/backup.log"
backup_ms=$(ms "$start" "$(now)" "$count")
start=$(now)
"$smk" hsm restore-backup --pkcs11-module "$module" --token facility-2 --pin-file "$work/pin" \
  --unwrap-with smk "$work/keys.smkwrap" >"$work/restore.log"
restore_ms=$(ms "$start" "$(now)" "$count")
restored=$(pkcs11-tool --module "$module" --token-label facility-2 --login --pin 123456 \
  --list-objects --type privkey 2>/dev/null | grep -c '^Private Key Object; RSA' || true)
if [ "$restored" -ne "$count" ]; then
  echo "bench: facility-2 holds $restored RSA private keys after the restore, not $count" >&2
  exit 1
fi

base=$("$baseline" "$module" facility-2 "$work/pin" "$count")
wrap_ms=$(awk '$1 == "wrap_ms_per_key" { print $2 }' <<<"$base")
unwrap_ms=$(awk '$1 == "unwrap_ms_per_key" { print $2 }' <<<"$base")

printf '\n%-30s %12s %14s %10s\n' "per RSA-2048 key" "smk ms" "token ms" "smk/token"
printf '%-30s %12s %14s %10s\n' "backup (C_WrapKey)" "$backup_ms" "$wrap_ms" "$(ratio "$backup_ms" "$wrap_ms")x"
printf '%-30s %12s %14s %10s\n' "restore (C_UnwrapKey)" "$restore_ms" "$unwrap_ms" "$(ratio "$restore_ms" "$unwrap_ms")x"
printf '%-30s %12s\n' "key pair generation (token)" "$keygen_ms"
echo "restore checked: facility-2 lists $restored RSA private keys"
