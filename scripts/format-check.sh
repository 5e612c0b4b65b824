#!/usr/bin/env bash
# `make check` stage "format": every C++ file the repository tracks follows the
# checked-in .clang-format (clang-format-14, Debian 12). `make format` applies it.
#   usage: scripts/format-check.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h' '*.cc')
if [ ${#files[@]} -eq 0 ]; then
  echo "format: no C++ files found (is this a git checkout?)" >&2
  exit 1
fi
if [ "${1:-}" = --fix ]; then
  clang-format-14 -i -- "${files[@]}"
  echo "format: applied .clang-format to ${#files[@]} files"
  exit 0
fi
if ! clang-format-14 --dry-run --Werror -- "${files[@]}"; then
  echo "format: FAILED: the files above do not follow .clang-format; run 'make format'" >&2
  exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
