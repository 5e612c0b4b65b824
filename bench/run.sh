#!/usr/bin/env bash
# Benchmark, reported and never a pass/fail test of speed:
#   * raw Shamir of a random file (64 MiB by default), 5-of-7: smk split/combine
#     --format raw against gfsplit/gfcombine (Debian libgfshare-bin) in the same run,
#     the ratio gfsplit time / smk time, peak RSS of smk (must stay under 64 MiB);
#   * a default SLIP-39 split of a fresh 32-byte SMK (PBKDF2-bound).
# Both recoveries are compared with the input (cmp); a mismatch or a failed command
# makes the script exit non-zero.
#
# Usage: bench/run.sh PATH/TO/smk
# Environment: BENCH_DIR (where the temporary work directory goes; default $TMPDIR
# or /tmp), SIZE_MIB (default 64), REPEAT (runs per command, best taken; default 3).
# smk fsyncs every share and the output (gfsplit does not), so on a disk-backed
# BENCH_DIR the numbers include the device's write speed; BENCH_DIR=/dev/shm
# compares the computation alone.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/smk" >&2
  exit 2
fi
smk=$(readlink -f "$1")
size_mib=${SIZE_MIB:-64}
repeat=${REPEAT:-3}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
rss_limit_kib=$((64 * 1024))

for tool in gfsplit gfcombine cmp awk; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (package 'time')" >&2; exit 2; }
[ -x "$smk" ] || { echo "bench: $smk is not an executable" >&2; exit 2; }

work=$(mktemp -d "$bench_dir/smk-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# run NAME CMD...: runs CMD `repeat` times (cleaning its outputs between runs via
# the function `clean_NAME` if defined); sets best_s (fastest wall time, seconds)
# and best_rss (peak RSS in KiB of that run).
run() {
  local name=$1
  shift
  best_s=""
  best_rss=""
  local i
  for ((i = 1; i <= repeat; i++)); do
    if declare -F "clean_$name" >/dev/null; then "clean_$name"; fi
    local start end elapsed rss
    start=$(date +%s%N)
    if ! /usr/bin/time -f %M -o "$work/rss" "$@" >"$work/$name.log" 2>&1 </dev/null; then
      echo "bench: $name failed:" >&2
      cat "$work/$name.log" >&2
      exit 1
    fi
    end=$(date +%s%N)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss=$(tail -n 1 "$work/rss")
    if [ -z "$best_s" ] || awk -v x="$elapsed" -v y="$best_s" 'BEGIN { exit !(x < y) }'; then
      best_s=$elapsed
      best_rss=$rss
    fi
  done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
under() { if [ "$1" -lt "$rss_limit_kib" ]; then echo "under 64 MiB"; else echo "NOT under 64 MiB"; fi; }

echo "bench: $size_mib MiB random file, 5-of-7, best of $repeat runs"
echo "bench: work directory $work ($(stat -f -c %T "$work") filesystem)"
echo "bench: smk $("$smk" --version 2>/dev/null || echo '?'), $(nproc) CPUs"
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$work/secret.bin"
mkdir "$work/gf"
ln "$work/secret.bin" "$work/gf/secret.bin"
sync

# --- smk raw
clean_smk_split() { rm -rf "$work/smk-shares"; }
run smk_split "$smk" split --format raw --group 5/7 --secret-file "$work/secret.bin" \
  --out-dir "$work/smk-shares"
smk_split_s=$best_s smk_split_rss=$best_rss
mapfile -t smk_shares < <(find "$work/smk-shares" -type f -name '*.smkraw' | sort | head -n 5)
if [ "${#smk_shares[@]}" -ne 5 ]; then
  echo "bench: expected 7 share files in $work/smk-shares, found:" >&2
  ls -la "$work/smk-shares" >&2
  exit 1
fi
clean_smk_combine() { rm -f "$work/smk.out"; }
run smk_combine "$smk" combine --format raw --out "$work/smk.out" "${smk_shares[@]}"
smk_combine_s=$best_s smk_combine_rss=$best_rss
cmp "$work/secret.bin" "$work/smk.out"
smk_ok="output identical to the input"

# --- gfsplit / gfcombine (write next to their input, in $work/gf)
clean_gfsplit() { find "$work/gf" -name 'secret.bin.*' -delete; }
run gfsplit gfsplit -n 5 -m 7 "$work/gf/secret.bin"
gf_split_s=$best_s
mapfile -t gf_shares < <(find "$work/gf" -name 'secret.bin.*' | sort | head -n 5)
clean_gfcombine() { rm -f "$work/gf.out"; }
run gfcombine gfcombine -o "$work/gf.out" "${gf_shares[@]}"
gf_combine_s=$best_s
cmp "$work/secret.bin" "$work/gf.out"

# --- SLIP-39 default split of a fresh SMK
clean_slip39() { rm -rf "$work/slip39"; }
run slip39 "$smk" split --out-dir "$work/slip39"
slip39_s=$best_s slip39_rss=$best_rss

printf '\n%-34s %9s %9s %12s\n' "operation" "smk s" "gf* s" "gf*/smk"
printf '%-34s %9s %9s %12s\n' "split 5-of-7, $size_mib MiB" "$smk_split_s" "$gf_split_s" \
  "$(ratio "$gf_split_s" "$smk_split_s")x"
printf '%-34s %9s %9s %12s\n' "combine 5 shares, $size_mib MiB" "$smk_combine_s" "$gf_combine_s" \
  "$(ratio "$gf_combine_s" "$smk_combine_s")x"
printf '%-34s %9s\n' "SLIP-39 split, 32-byte SMK" "$slip39_s"
echo
echo "peak RSS smk split:   $smk_split_rss KiB ($(under "$smk_split_rss"))"
echo "peak RSS smk combine: $smk_combine_rss KiB ($(under "$smk_combine_rss"))"
echo "peak RSS SLIP-39 split: $slip39_rss KiB"
echo "smk raw: $smk_ok; gfcombine: output identical to the input"
target=$(awk -v a="$gf_split_s" -v b="$smk_split_s" 'BEGIN { print (a >= 5 * b) ? "met" : "NOT met" }')
echo "target smk raw split >= 5x faster than gfsplit: $target"
