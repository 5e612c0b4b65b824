#!/usr/bin/env bash
# Reproducible build check: builds the release `smk` twice, from two copies of this
# source tree at different absolute paths (different lengths too), each with its own
# build directory, and compares the binaries' SHA-256. Both builds get
# SOURCE_DATE_EPOCH from the commit's date and the same SMK_SOURCE_COMMIT (the commit
# of this tree, "+dirty" when it has uncommitted changes), as a ceremony build would.
# Prints both digests; exits 1 and lists the ELF sections that differ when they do.
#   usage: scripts/repro-check.sh [--against BIN] [WORK_DIR]   (JOBS=N for build parallelism)
# WORK_DIR (default: a fresh temp dir, removed at exit) keeps the two trees.
# --against BIN: BIN (the release smk that `make check` built in this tree) is the first
# build; only one copy is built, at another path, with the commit BIN's --version names.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/source-snapshot.sh
. "$src/scripts/lib/source-snapshot.sh"
jobs=${JOBS:-$(nproc)}
against=""
if [ "${1:-}" = --against ]; then
  [ $# -ge 2 ] || { echo "repro-check: --against needs the smk binary" >&2; exit 2; }
  against=$(realpath "$2")
  [ -x "$against" ] || { echo "repro-check: FAILED: $2 is no executable smk; build it first" >&2; exit 2; }
  shift 2
fi
keep=0
if [ $# -ge 1 ]; then
  work=$(mkdir -p "$1" && cd "$1" && pwd)
  keep=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/smk-repro.XXXXXX")
fi
cleanup() { if [ "$keep" -eq 0 ]; then rm -rf -- "$work"; fi; }
trap cleanup EXIT

commit=$(source_commit "$src")
if [ -n "$against" ]; then
  # The copy must record the same commit text as BIN.
  commit=$(built_commit "$against")
  [ -n "$commit" ] || { echo "repro-check: FAILED: $against --version names no commit" >&2; exit 1; }
fi
SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct HEAD)
export SOURCE_DATE_EPOCH
export LC_ALL=C TZ=UTC

# Two trees that differ in absolute path and path length, from one snapshot of the
# source (scripts/lib/source-snapshot.sh).
trees=("$work/a/smk" "$work/build-tree-number-two/src/smk")
builds=(0 1)
[ -z "$against" ] || builds=(1)
start=$(date +%s)
snapshot_source "$src" "$work/snapshot.tar"
for i in "${builds[@]}"; do
  tree=${trees[$i]}
  rm -rf -- "$tree"
  mkdir -p "$tree"
  tar -C "$tree" -xf "$work/snapshot.tar"
  echo "repro-check: build $((i + 1)) in $tree/build-release"
  cmake -S "$tree" -B "$tree/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        "-DSMK_SOURCE_COMMIT=$commit" >"$work/configure-$i.log" 2>&1 ||
    { cat "$work/configure-$i.log" >&2; echo "repro-check: configure $((i + 1)) failed" >&2; exit 2; }
  cmake --build "$tree/build-release" --target smk -j "$jobs" >"$work/build-$i.log" 2>&1 ||
    { tail -50 "$work/build-$i.log" >&2; echo "repro-check: build $((i + 1)) failed" >&2; exit 2; }
done
elapsed=$(( $(date +%s) - start ))

bin_a=${against:-${trees[0]}/build-release/cli/smk}
bin_b=${trees[1]}/build-release/cli/smk
sum_a=$(sha256sum "$bin_a" | cut -d' ' -f1)
sum_b=$(sha256sum "$bin_b" | cut -d' ' -f1)
echo "repro-check: $sum_a  $bin_a"
echo "repro-check: $sum_b  $bin_b"
echo "repro-check: smk --version: $("$bin_a" --version)"
echo "repro-check: SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, ${#builds[@]} build(s) in ${elapsed}s"

if [ "$sum_a" = "$sum_b" ]; then
  echo "repro-check: OK, the two builds are byte-identical"
  exit 0
fi

echo "repro-check: FAILED: the two builds of the same source differ" >&2
# Which sections differ: dump each section's bytes and compare.
for sec in $(readelf -W -S "$bin_a" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p'); do
  [ -n "$sec" ] || continue
  a=$(objcopy -O binary --only-section="$sec" "$bin_a" /dev/stdout 2>/dev/null | sha256sum)
  b=$(objcopy -O binary --only-section="$sec" "$bin_b" /dev/stdout 2>/dev/null | sha256sum)
  if [ "$a" != "$b" ]; then
    echo "repro-check:   section $sec differs" >&2
  fi
done
if command -v strings >/dev/null; then
  echo "repro-check: strings naming a build path:" >&2
  strings -a "$bin_a" | grep -F -e "$work" | head -20 >&2 || true
fi
keep=1
echo "repro-check: both trees kept in $work for inspection (diffoscope can compare them)" >&2
exit 1
