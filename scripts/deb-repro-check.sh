#!/usr/bin/env bash
# Reproducible packages: builds the Debian packages (scripts/make-deb.sh) twice, from two
# copies of this source tree at different absolute paths (different lengths too), as
# scripts/repro-check.sh does for the binary: same SOURCE_DATE_EPOCH (the commit's date),
# same SMK_SOURCE_COMMIT (this tree's commit, "+dirty" when it has uncommitted changes),
# LC_ALL=C, TZ=UTC. Each build also runs scripts/deb-contents-check.sh. Compares each
# pair of .debs byte for byte (cmp); on a difference says which control fields, which
# listed entries (dpkg-deb -c) and which extracted files differ, and keeps both trees.
#   usage: scripts/deb-repro-check.sh [--against DIR] [WORK_DIR]   (JOBS=N for build parallelism)
# WORK_DIR (default: a fresh temp dir, removed at exit) keeps the two trees.
# --against DIR: DIR holds the packages `make deb` built in this tree (build/package); they
# are the first build, and only one copy is built, at another path, recording the commit
# the packaged smk's --version names.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/source-snapshot.sh
. "$src/scripts/lib/source-snapshot.sh"
jobs=${JOBS:-$(nproc)}
against=""
if [ "${1:-}" = --against ]; then
  [ $# -ge 2 ] || { echo "deb-repro-check: --against needs the directory of the packages" >&2; exit 2; }
  against=$(cd "$2" && pwd) ||
    { echo "deb-repro-check: FAILED: no directory $2; run make deb first" >&2; exit 2; }
  shift 2
fi
keep=0
if [ $# -ge 1 ]; then
  work=$(mkdir -p "$1" && cd "$1" && pwd)
  keep=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/smk-deb-repro.XXXXXX")
fi
cleanup() { if [ "$keep" -eq 0 ]; then rm -rf -- "$work"; fi; }
trap cleanup EXIT

SMK_SOURCE_COMMIT=$(source_commit "$src")
if [ -n "$against" ]; then
  ls "$against"/smk_*.deb >/dev/null 2>&1 ||
    { echo "deb-repro-check: FAILED: no smk_*.deb in $against; run make deb first" >&2; exit 2; }
  # The packaged smk, run from an extracted copy, names the commit it was built from.
  mkdir -p "$work/first"
  dpkg-deb -x "$(ls "$against"/smk_*.deb | head -1)" "$work/first"
  SMK_SOURCE_COMMIT=$(built_commit "$work/first/usr/bin/smk")
  [ -n "$SMK_SOURCE_COMMIT" ] ||
    { echo "deb-repro-check: FAILED: the packaged smk --version names no commit" >&2; exit 1; }
fi
SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct HEAD)
export SMK_SOURCE_COMMIT SOURCE_DATE_EPOCH
export LC_ALL=C TZ=UTC

# One snapshot of the source (scripts/lib/source-snapshot.sh), unpacked at two paths.
trees=("$work/a/smk" "$work/package-tree-number-two/src/smk")
builds=(0 1)
[ -z "$against" ] || builds=(1)
start=$(date +%s)
snapshot_source "$src" "$work/snapshot.tar"
for i in "${builds[@]}"; do
  tree=${trees[$i]}
  rm -rf -- "$tree"
  mkdir -p "$tree"
  tar -C "$tree" -xf "$work/snapshot.tar"
  echo "deb-repro-check: build $((i + 1)) in $tree/build/package"
  JOBS=$jobs "$tree/scripts/make-deb.sh" >"$work/build-$i.log" 2>&1 ||
    { tail -50 "$work/build-$i.log" >&2; echo "deb-repro-check: build $((i + 1)) failed" >&2; exit 2; }
  grep '^deb-contents-check: ' "$work/build-$i.log"
done
elapsed=$(( $(date +%s) - start ))
first=${against:-${trees[0]}/build/package}

debs=()
for deb in "$first"/*.deb; do debs+=("$(basename "$deb")"); done
[ ${#debs[@]} -eq 2 ] || { echo "deb-repro-check: FAILED: build 1 made ${#debs[@]} .deb files, not 2" >&2; exit 1; }

differ=0
for name in "${debs[@]}"; do
  a=$first/$name
  b=${trees[1]}/build/package/$name
  if [ ! -f "$b" ]; then
    echo "deb-repro-check: FAILED: build 2 made no $name" >&2
    differ=1
    continue
  fi
  echo "deb-repro-check: $(sha256sum "$a" | cut -d' ' -f1)  $a"
  echo "deb-repro-check: $(sha256sum "$b" | cut -d' ' -f1)  $b"
  if cmp -s "$a" "$b"; then
    continue
  fi
  differ=1
  echo "deb-repro-check: FAILED: $name differs between the two builds" >&2
  diff <(dpkg-deb -f "$a") <(dpkg-deb -f "$b") | sed 's/^/deb-repro-check:   control: /' >&2 || true
  diff <(dpkg-deb -c "$a") <(dpkg-deb -c "$b") | sed 's/^/deb-repro-check:   entry: /' >&2 || true
  rm -rf -- "$work/x-a" "$work/x-b"
  dpkg-deb -R "$a" "$work/x-a"
  dpkg-deb -R "$b" "$work/x-b"
  diff -rq "$work/x-a" "$work/x-b" | sed 's/^/deb-repro-check:   file: /' >&2 || true
  # Same members and contents yet other bytes: the ar or tar framing or the compression.
  diff <(ar tv "$a") <(ar tv "$b") | sed 's/^/deb-repro-check:   ar: /' >&2 || true
done
echo "deb-repro-check: SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, commit $SMK_SOURCE_COMMIT, ${#builds[@]} build(s) in ${elapsed}s"

if [ "$differ" -eq 0 ]; then
  echo "deb-repro-check: OK, both builds made byte-identical packages: ${debs[*]}"
  exit 0
fi
keep=1
echo "deb-repro-check: both trees kept in $work for inspection" >&2
exit 1
