# Sourced by the reproducibility checks (repro-check.sh, deb-repro-check.sh): what both
# builds of one source must share, whatever path they are built at.

# The commit a build records: HEAD of SRC, "+dirty" when the work tree has changes.
source_commit() {
  local src=$1 commit
  commit=$(git -C "$src" rev-parse HEAD)
  if [ -n "$(git -C "$src" status --porcelain)" ]; then
    commit="$commit+dirty"
  fi
  echo "$commit"
}

# The commit an already built smk BIN records ("smk 0.1.0 (commit SHA[+dirty])"), so a
# second build at another path can record the same text.
built_commit() {
  "$1" --version | sed -n 's/.*(commit \([^)]*\)).*/\1/p'
}

# A tar of every file git would commit in SRC (tracked and untracked, not ignored): what
# a clone of it would hold. Taken once, so every build sees the same bytes even while
# someone edits the work tree.
snapshot_source() {
  local src=$1 out=$2
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
     tar --null -T - -cf -) >"$out"
}
