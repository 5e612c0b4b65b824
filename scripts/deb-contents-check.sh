#!/usr/bin/env bash
# Inspects the two Debian packages scripts/make-deb.sh builds, without installing them:
#   smk:         control fields (Package, Version = what its smk --version says,
#                Architecture, Depends naming libc6, libsodium23, libpcsclite1, libssl3),
#                ./usr/bin/smk, README.md, every docs/*.md, docs/transport/*.py and
#                docs/examples/* of this tree under ./usr/share/doc/smk, the manual pages
#                ./usr/share/man/man1/smk.1.gz and ./usr/share/man/man5/smk-plan.5.gz, the bash
#                completion ./usr/share/bash-completion/completions/smk, no smk-cardsim
#   smk-cardsim: ./usr/bin/smk-cardsim and no smk; Depends naming libc6
#   both:        every entry root/root under ./usr, the file name <Package>_<Version>_<Arch>.deb
# Prints each failure and exits 1 when there is one.
#   usage: scripts/deb-contents-check.sh SMK.deb SMK-CARDSIM.deb
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SMK.deb SMK-CARDSIM.deb" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
deb_smk=$1
deb_cardsim=$2
arch=$(dpkg --print-architecture)
failures=0
fail() { echo "deb-contents-check: FAILED: $*" >&2; failures=$((failures + 1)); }
work=$(mktemp -d "${TMPDIR:-/tmp}/smk-deb-contents.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# field DEB NAME: one control field's value.
field() { dpkg-deb -f "$1" "$2"; }
# depends_on DEB PKG: PKG is one of the Depends alternatives (name before any version).
depends_on() {
  local names
  names=$(field "$1" Depends | tr ',|' '\n' | sed 's/^ *//; s/[ (].*//')
  grep -qx -- "$2" <<<"$names"
}

common() {
  local deb=$1 package=$2 version
  [ -f "$deb" ] || { fail "$deb: no such file"; return 1; }
  dpkg-deb -c "$deb" >"$work/$package.list" || { fail "$deb: dpkg-deb -c cannot read it"; return 1; }
  [ "$(field "$deb" Package)" = "$package" ] || fail "$deb: Package is '$(field "$deb" Package)', not $package"
  [ "$(field "$deb" Architecture)" = "$arch" ] || fail "$deb: Architecture is not $arch"
  version=$(field "$deb" Version)
  [[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || fail "$deb: Version '$version' is no Debian version"
  [ "$(basename "$deb")" = "${package}_${version}_${arch}.deb" ] ||
    fail "$deb: file name is not ${package}_${version}_${arch}.deb"
  depends_on "$deb" libc6 || fail "$deb: Depends does not name libc6: $(field "$deb" Depends)"
  # "drwxr-xr-x root/root 0 2024-01-01 00:00 ./usr/" -> owner and path
  awk '$2 != "root/root" { print "owner " $2 ": " $6 }' "$work/$package.list" >"$work/bad"
  awk '$6 != "./" && $6 !~ /^\.\/usr\// { print "outside /usr: " $6 }' "$work/$package.list" >>"$work/bad"
  while IFS= read -r line; do fail "$deb: $line"; done <"$work/bad"
  awk '{ print $6 }' "$work/$package.list" >"$work/$package.paths"
}

has() { grep -qxF -- "$2" "$work/$1.paths"; }

# --- smk ---------------------------------------------------------------------------
if common "$deb_smk" smk; then
  for lib in libsodium23 libpcsclite1 libssl3; do
    depends_on "$deb_smk" "$lib" || fail "$deb_smk: Depends does not name $lib: $(field "$deb_smk" Depends)"
  done
  grep -q '^-rwxr-xr-x root/root .* \./usr/bin/smk$' "$work/smk.list" ||
    fail "$deb_smk: no executable ./usr/bin/smk"
  expected=(./usr/share/doc/smk/README.md ./usr/share/man/man1/smk.1.gz ./usr/share/man/man5/smk-plan.5.gz
            ./usr/share/bash-completion/completions/smk)
  for f in "$src"/docs/*.md; do expected+=("./usr/share/doc/smk/$(basename "$f")"); done
  for f in "$src"/docs/transport/*.py; do expected+=("./usr/share/doc/smk/transport/$(basename "$f")"); done
  for f in "$src"/docs/examples/*; do expected+=("./usr/share/doc/smk/examples/$(basename "$f")"); done
  [ ${#expected[@]} -gt 5 ] || fail "$src/docs: no docs found to expect"
  for p in "${expected[@]}"; do has smk "$p" || fail "$deb_smk: no $p"; done
  if grep -q 'smk-cardsim' "$work/smk.paths"; then fail "$deb_smk: holds smk-cardsim"; fi
  # The packaged binary runs and names the package's version.
  dpkg-deb -x "$deb_smk" "$work/root"
  said=$("$work/root/usr/bin/smk" --version 2>&1 || true)
  [[ $said == "smk $(field "$deb_smk" Version) "* ]] ||
    fail "$deb_smk: usr/bin/smk --version says '$said', not version $(field "$deb_smk" Version)"
fi

# --- smk-cardsim -------------------------------------------------------------------
if common "$deb_cardsim" smk-cardsim; then
  grep -q '^-rwxr-xr-x root/root .* \./usr/bin/smk-cardsim$' "$work/smk-cardsim.list" ||
    fail "$deb_cardsim: no executable ./usr/bin/smk-cardsim"
  if has smk-cardsim ./usr/bin/smk; then fail "$deb_cardsim: holds ./usr/bin/smk"; fi
  [ "$(field "$deb_cardsim" Version)" = "$(field "$deb_smk" Version)" ] ||
    fail "$deb_cardsim: Version differs from smk's"
fi

if [ "$failures" -ne 0 ]; then
  echo "deb-contents-check: $failures failure(s); contents: dpkg-deb -c DEB, fields: dpkg-deb -I DEB" >&2
  exit 1
fi
echo "deb-contents-check: OK: $(basename "$deb_smk") ($(grep -c . "$work/smk.paths") entries," \
  "Depends: $(field "$deb_smk" Depends)), $(basename "$deb_cardsim") ($(grep -c . "$work/smk-cardsim.paths") entries)"
