#!/usr/bin/env bash
# `make check`: every test and every assurance check, in one run (CI runs exactly this).
#   1. tests     release build (the ceremony binary), the whole CTest suite
#   2. repro     a second release build of smk from a copy of the tree at another path
#                must be byte-identical to the one stage 1 built
#   3. package   the Debian packages (make deb: built, contents checked), built again from
#                a copy at another path and byte-identical (deb-repro-check.sh), and the
#                smk package installed with apt-get into a clean Debian 12 root where
#                smk --version, smk version and a split/combine run (deb-install-check.sh)
#   4. fuzz      every libFuzzer target (clang-14, ASan+UBSan) for FUZZ_SECONDS each
#   5. asan      the whole CTest suite again, built with ASan+UBSan (GCC)
#   6. format    every tracked C++ file follows .clang-format (scripts/format-check.sh)
# A stage that fails does not stop the later ones (one run shows everything), except
# that repro, which compares against it, does not run without the release build.
# Ends with a table of the stages and one line "check: N passed, M failed" counting
# tests (CTest tests of stages 1 and 5, one per fuzz target, one for repro, three for
# package (build, reproducibility, install), one for format). Exit 0 only when every stage passed.
#   usage: scripts/check.sh [STAGE...]     default: tests repro package fuzz asan format
#   JOBS=N (default nproc)   FUZZ_SECONDS=N (default 30)
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
jobs=${JOBS:-$(nproc)}
export FUZZ_SECONDS=${FUZZ_SECONDS:-30}
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(tests repro package fuzz asan format)

logs=$(mktemp -d "${TMPDIR:-/tmp}/smk-check.XXXXXX")
trap 'rm -rf -- "$logs"' EXIT
declare -A verdict seconds counted failed_count
total_passed=0
total_failed=0

# ctest's closing line "N% tests passed, F tests failed out of T" -> passed/failed.
count_ctest() {
  local log=$1 stage=$2 line t f
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    counted[$stage]=0; failed_count[$stage]=1
    return
  fi
  t=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  counted[$stage]=$((t - f)); failed_count[$stage]=$f
}

run_stage() {
  local stage=$1; shift
  local start rc log=$logs/$stage.log
  echo
  echo "==== check: $stage ===="
  start=$(date +%s)
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  seconds[$stage]=$(( $(date +%s) - start ))
  if [ "$rc" -eq 0 ]; then verdict[$stage]=passed; else verdict[$stage]=FAILED; fi
  return "$rc"
}

# The fault points the crash and power-cut drills exercised (tests/faults), one line
# per drill, from the files the drills of this run wrote.
print_fault_points() {
  local dir=build/$1/crash-points
  echo
  echo "fault points exercised ($1):"
  if ls "$dir"/*.txt >/dev/null 2>&1; then
    cat "$dir"/*.txt
  else
    echo "  none recorded (the faults: drills did not run)"
  fi
}

stage_tests() {
  local rc
  rm -rf build/release/crash-points
  scripts/install-deps.sh &&
    cmake --preset release >/dev/null &&
    cmake --build --preset release -j "$jobs" || return 1
  ctest --preset release -j "$jobs"
  rc=$?
  print_fault_points release
  return "$rc"
}

stage_repro() {
  JOBS=$jobs scripts/repro-check.sh --against "$src/build/release/cli/smk"
}

# Three checks, each one line "package: NAME: OK" or "package: FAILED: NAME" for the count;
# the later ones need the packages the first one built.
stage_package() {
  local rc=0 deb
  if JOBS=$jobs scripts/make-deb.sh; then echo "package: build: OK"
  else echo "package: FAILED: build"; echo "package: FAILED: reproducible"; echo "package: FAILED: install"; return 1; fi
  if JOBS=$jobs scripts/deb-repro-check.sh --against "$src/build/package"; then echo "package: reproducible: OK"
  else echo "package: FAILED: reproducible"; rc=1; fi
  deb=$(ls "$src"/build/package/smk_*.deb | head -1)
  if scripts/deb-install-check.sh "$deb"; then echo "package: install: OK"
  else echo "package: FAILED: install"; rc=1; fi
  return "$rc"
}

stage_fuzz() {
  FUZZ_JOBS=$jobs scripts/fuzz.sh
}

stage_asan() {
  local rc
  rm -rf build/asan/crash-points
  cmake --preset asan >/dev/null &&
    cmake --build --preset asan -j "$jobs" || return 1
  ctest --preset asan -j "$jobs"
  rc=$?
  print_fault_points asan
  return "$rc"
}

release_built=1
for stage in "${stages[@]}"; do
  case $stage in
    tests)
      run_stage tests stage_tests
      count_ctest "$logs/tests.log" tests
      [ -x build/release/cli/smk ] || release_built=0
      ;;
    repro)
      if [ "$release_built" -eq 0 ]; then
        verdict[repro]="not run (no release build)"; counted[repro]=0; failed_count[repro]=1
        continue
      fi
      if run_stage repro stage_repro; then counted[repro]=1; failed_count[repro]=0
      else counted[repro]=0; failed_count[repro]=1; fi
      ;;
    package)
      run_stage package stage_package
      counted[package]=$(grep -c '^package: [a-z]*: OK' "$logs/package.log")
      failed_count[package]=$(grep -c '^package: FAILED: ' "$logs/package.log")
      ;;
    fuzz)
      run_stage fuzz stage_fuzz
      counted[fuzz]=$(grep -c '^fuzz: [a-z0-9_]*: OK' "$logs/fuzz.log")
      failed_count[fuzz]=$(grep -c '^fuzz: FAILED: [a-z0-9_]*:' "$logs/fuzz.log")
      if [ "${verdict[fuzz]}" = FAILED ] && [ "${failed_count[fuzz]}" -eq 0 ]; then
        failed_count[fuzz]=1
      fi
      ;;
    asan)
      run_stage asan stage_asan
      count_ctest "$logs/asan.log" asan
      ;;
    format)
      if run_stage format scripts/format-check.sh; then counted[format]=1; failed_count[format]=0
      else counted[format]=0; failed_count[format]=1; fi
      ;;
    *)
      echo "check: unknown stage '$stage' (stages: tests repro package fuzz asan format)" >&2
      exit 2
      ;;
  esac
  total_passed=$((total_passed + ${counted[$stage]:-0}))
  total_failed=$((total_failed + ${failed_count[$stage]:-0}))
done

echo
echo "==== check: summary ===="
all_passed=1
for stage in "${stages[@]}"; do
  printf 'check: %-7s %-28s %5ss  %s passed, %s failed\n' "$stage" "${verdict[$stage]}" \
    "${seconds[$stage]:-0}" "${counted[$stage]:-0}" "${failed_count[$stage]:-0}"
  [ "${verdict[$stage]}" = passed ] || all_passed=0
done
if [ "$all_passed" -eq 1 ] && [ "$total_failed" -ne 0 ]; then all_passed=0; fi
if [ "$all_passed" -eq 1 ] && [ "$total_passed" -eq 0 ]; then
  echo "check: FAILED: no test ran" >&2
  all_passed=0
  total_failed=1
fi
echo "check: $total_passed passed, $total_failed failed"
[ "$all_passed" -eq 1 ]
