#!/usr/bin/env bash
# Constant-time check (ctgrind): runs one case of tests/ct/ct_check.cpp under
# valgrind memcheck, where the secret bytes are marked undefined, so that every
# branch or memory index that depends on a secret is reported.
#   scripts/ct-check.sh SMK_CT_CHECK CASE                 pass iff memcheck reports nothing
#   scripts/ct-check.sh SMK_CT_CHECK CASE --expect FUNC   a negative control: pass iff
#                                                         memcheck reports, in FUNC
#   scripts/ct-check.sh SMK_CT_CHECK                      every case (controls expected to report)
# No suppressions: a value computed from secrets that is public by design (a validity
# verdict, a share's header, a word count) is declared public in the code itself, at
# the line where it becomes public (sss/ct_declassify.hpp). Needs valgrind
# (scripts/install-deps.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: scripts/ct-check.sh SMK_CT_CHECK [CASE [--expect FUNCTION]]}
command -v valgrind >/dev/null || { echo "ct-check: FAILED: valgrind is not installed" >&2; exit 1; }

run_case() {  # CASE [EXPECTED_FUNCTION]
  local name=$1 expect=${2:-} log rc
  log=$(mktemp "${TMPDIR:-/tmp}/smk-ct.XXXXXX")
  valgrind --tool=memcheck --error-exitcode=99 --track-origins=yes --leak-check=no \
           --num-callers=30 --log-file="$log" "$bin" "$name"
  rc=$?
  if [ -z "$expect" ]; then
    if [ "$rc" -eq 0 ] && grep -q "ERROR SUMMARY: 0 errors" "$log"; then
      echo "ct-check: $name: no secret-dependent branch or index"
      rm -f -- "$log"; return 0
    fi
    cat "$log" >&2
    if [ "$rc" -eq 99 ]; then
      echo "ct-check: FAILED: $name: memcheck reports a branch or memory index that depends on a secret (above)" >&2
    else
      echo "ct-check: FAILED: $name: exit code $rc" >&2
    fi
    rm -f -- "$log"; return 1
  fi
  if [ "$rc" -eq 99 ] && grep -q "$expect" "$log" &&
     grep -Eq "Conditional jump or move depends on uninitialised|Use of uninitialised value of size" "$log"; then
    echo "ct-check: $name: the deliberate leak in $expect is reported, as it must be"
    rm -f -- "$log"; return 0
  fi
  cat "$log" >&2
  echo "ct-check: FAILED: $name: the deliberate leak in $expect was NOT reported (exit $rc): the check is blind" >&2
  rm -f -- "$log"; return 1
}

if [ $# -ge 2 ]; then
  if [ "${3:-}" = "--expect" ]; then
    run_case "$2" "${4:?--expect needs a function name}"
  else
    run_case "$2"
  fi
  exit $?
fi

failed=0
# The GF(256) paths valgrind can run here (it hides GFNI and AVX-512 from CPUID).
runnable=" $(valgrind -q "$bin" paths | tr '\n' ' ') "
for c in $("$bin" list); do
  path=${c#mul-add-}; path=${path#shamir-}
  if [ "$path" != "$c" ] && [[ $runnable != *" $path "* ]]; then
    echo "ct-check: $c: NOT CHECKED: valgrind cannot run the $path path on this machine"
    continue
  fi
  case $c in
    control-branch) run_case "$c" ct_control_secret_branch || failed=1 ;;
    control-index) run_case "$c" ct_control_secret_index || failed=1 ;;
    *) run_case "$c" || failed=1 ;;
  esac
done
exit $failed
