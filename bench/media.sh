#!/usr/bin/env bash
# Benchmark, reported and never a pass/fail test of speed: copying the Master Backup
# Copy to three Operative Backup Copies, as the procedure does it today and as
# `smk media copy` does it, in one run on the same tree.
#
#   procedure: rsync -aW MASTER/ OPn/ three times, then `sha256sum -c SHA256SUMS` in
#              the master and in each copy (four times). No fsync; sha256sum reads the
#              page cache (FIELD-NOTES "Page cache").
#   smk:       smk media copy MASTER/ OP1 OP2 OP3: one read of the master fanned out,
#              every file synced to its drive, then every copy read back from the
#              device (page cache dropped and confirmed empty, or O_DIRECT) and hashed.
#
# Prints both times, the ratio (procedure / smk; the target is >= 2) and smk's peak
# RSS (/usr/bin/time -f %M; must stay under 64 MiB). For information it also prints
# the procedure's time including a final `sync` (what it takes before its copies are
# really on the drives, as unmounting would force). Exits non-zero if a command
# fails, a copy differs from the master, or the RSS limit is exceeded.
#
# Usage: bench/media.sh PATH/TO/smk
# Environment:
#   SIZE_SCALE  divides the tree: 8 files of 128/SIZE_SCALE MiB and 2000/SIZE_SCALE
#               small files (default 1: the issue's 1 GiB tree).
#   BENCH_DIR   where the master and the copies live (default $TMPDIR or /tmp).
#   BENCH_DEST  "dir" (default): the copies are directories in BENCH_DIR.
#               "loop": each copy is its own loop-mounted ext4 image (image files in
#               BENCH_DIR; needs root), closer to three flash drives: both the
#               procedure and smk write to fresh images.
# Both runs start with the master in the page cache (it was just written and hashed).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/smk" >&2
  exit 2
fi
smk=$(readlink -f "$1")
scale=${SIZE_SCALE:-1}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
dest_kind=${BENCH_DEST:-dir}
rss_limit_kib=$((64 * 1024))

for tool in rsync sha256sum awk bc diff /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done
case "$dest_kind" in
  dir) ;;
  loop)
    [ "$(id -u)" -eq 0 ] || { echo "bench: BENCH_DEST=loop needs root" >&2; exit 2; }
    command -v mkfs.ext4 >/dev/null || { echo "bench: mkfs.ext4 is missing" >&2; exit 2; }
    ;;
  *) echo "bench: BENCH_DEST must be dir or loop" >&2; exit 2 ;;
esac

work=$(mktemp -d "$bench_dir/smk-bench-media-XXXXXX")
mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
master="$work/master"
mkdir -p "$master"

big_mib=$((128 / scale))
small_count=$((2000 / scale))
echo "tree: 8 files of $big_mib MiB + $small_count small files, in $work (copies: $dest_kind)"
for i in 1 2 3 4 5 6 7 8; do
  head -c "$((big_mib * 1024 * 1024))" /dev/urandom > "$master/hsm-backup-$i.bin"
done
for ((i = 0; i < small_count; i++)); do
  d="$master/keys/group $((i % 20))"
  mkdir -p "$d"
  head -c "$((512 + (i * 37) % 7680))" /dev/urandom > "$d/share $i.bin"
done
(cd "$master" && find . -type f ! -name SHA256SUMS -printf '%P\0' | sort -z |
  xargs -0 sha256sum > "$work/SHA256SUMS" && mv "$work/SHA256SUMS" SHA256SUMS)
sync

# Three empty destinations named $work/$1-op1..3: directories, or fresh ext4 images
# (each twice the tree's size plus room for metadata) mounted there.
make_destinations() {
  local prefix=$1 n
  for n in 1 2 3; do
    local point="$work/$prefix-op$n"
    mkdir -p "$point"
    if [ "$dest_kind" = loop ]; then
      local image="$work/$prefix-op$n.img"
      truncate -s "$((big_mib * 8 * 2 + 64 + small_count / 8))M" "$image"
      mkfs.ext4 -q -F -b 4096 "$image"
      mount -o loop "$image" "$point"
      mounted+=("$point")
    fi
  done
  sync
}

remove_destinations() {
  local prefix=$1 n
  for n in 1 2 3; do
    local point="$work/$prefix-op$n"
    if [ "$dest_kind" = loop ]; then
      umount "$point"
      rm -f "$work/$prefix-op$n.img"
    fi
    rm -rf "$point"
  done
  mounted=()
  sync
}

now() { date +%s.%N; }

# --- the procedure --------------------------------------------------------------
make_destinations rsync
t0=$(now)
for n in 1 2 3; do
  rsync -aW "$master/" "$work/rsync-op$n/"
done
for dir in "$master" "$work/rsync-op1" "$work/rsync-op2" "$work/rsync-op3"; do
  (cd "$dir" && sha256sum -c --quiet SHA256SUMS)
done
t1=$(now)
sync
t1_sync=$(now)
remove_destinations rsync

# --- smk ------------------------------------------------------------------------
make_destinations smk
t2=$(now)
/usr/bin/time -f %M -o "$work/rss" "$smk" media copy "$master/" "$work/smk-op1" \
  "$work/smk-op2" "$work/smk-op3" --json > "$work/smk.json"
t3=$(now)
for n in 1 2 3; do
  diff -r -x lost+found "$master" "$work/smk-op$n" >/dev/null || { echo "bench: smk-op$n differs" >&2; exit 1; }
done
grep -q '"ok": true' "$work/smk.json" || { echo "bench: smk did not verify" >&2; exit 1; }

rss=$(tail -n 1 "$work/rss")
awk -v p="$(echo "$t1 - $t0" | bc)" -v ps="$(echo "$t1_sync - $t0" | bc)" \
  -v s="$(echo "$t3 - $t2" | bc)" -v rss="$rss" 'BEGIN {
  printf "procedure (3x rsync -aW + 4x sha256sum -c): %.2f s\n", p
  printf "smk media copy (3 destinations, verified from the device): %.2f s\n", s
  printf "ratio procedure/smk: %.2fx (target >= 2x)\n", p / s
  printf "for information: procedure + final sync (copies on the drives): %.2f s, ratio %.2fx\n", ps, ps / s
  printf "smk peak RSS: %d KiB (limit 65536 KiB)\n", rss
}'
if [ "$rss" -gt "$rss_limit_kib" ]; then
  echo "bench: smk peak RSS above 64 MiB" >&2
  exit 1
fi
