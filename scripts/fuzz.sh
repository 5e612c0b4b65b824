#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang-14, -fsanitize=fuzzer,address,undefined)
# in their own build directory and runs each for a fixed time, starting from the
# checked-in seed corpus (fuzz/corpus/<target>; new inputs go to a scratch corpus,
# the checked-in one is never modified). A crash, leak, sanitizer report or timeout
# fails the run; its input is copied to fuzz/regressions/<target>/ so that it
# becomes a regression test (CTest "fuzz: replay <target>") once the bug is fixed.
#   usage: scripts/fuzz.sh [TARGET...]         default: every target
#   FUZZ_SECONDS=20      time per target
#   FUZZ_BUILD_DIR=build/fuzz   FUZZ_JOBS=N (build parallelism)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD_DIR:-$src/build/fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}
all_targets=(slip39_decode share_record apdu manifest mountinfo transcript ceremony_plan)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null ||
    { echo "fuzz: FAILED: $tool is missing (scripts/install-deps.sh installs clang-14 and libclang-rt-14-dev)" >&2; exit 1; }
done

start=$(date +%s)
# -O1 -g: fast enough to fuzz, stack traces readable. Werror off: the warning set is
# tuned for GCC; the GCC builds keep it.
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DSMK_FUZZ=ON -DSMK_WERROR=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}"
built=$(date +%s)
echo "fuzz: built ${#targets[@]} targets in $((built - start))s; ${seconds}s each"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/smk-fuzz.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
  seeds=$src/fuzz/corpus/$t
  [ -d "$seeds" ] || { echo "fuzz: FAILED: no seed corpus $seeds" >&2; failed+=("$t"); continue; }
  mkdir -p "$scratch/$t/corpus" "$scratch/$t/artifacts"
  log=$scratch/$t/log
  # ASan/UBSan stop at the first report; leaks count as crashes.
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     "$build/fuzz-replay/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$scratch/$t/artifacts/" \
       "$scratch/$t/corpus" "$seeds" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $t: OK, ${runs:-?} runs, $cov, $(find "$scratch/$t/corpus" -type f | wc -l) new inputs"
  else
    echo "fuzz: FAILED: $t:" >&2
    grep -E "ERROR|SUMMARY|runtime error|#[0-9]+ 0x" "$log" | head -30 >&2 || tail -30 "$log" >&2
    mkdir -p "$src/fuzz/regressions/$t"
    for a in "$scratch/$t/artifacts"/*; do
      [ -e "$a" ] || continue
      cp -- "$a" "$src/fuzz/regressions/$t/"
      echo "fuzz:   input kept as fuzz/regressions/$t/$(basename "$a") (replay: $build/fuzz-replay/fuzz_$t $src/fuzz/regressions/$t/$(basename "$a"))" >&2
    done
    failed+=("$t")
  fi
done
echo "fuzz: done in $(( $(date +%s) - start ))s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
