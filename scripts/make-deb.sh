#!/usr/bin/env bash
# `make deb`: the Debian packages smk_<version>_<arch>.deb (the smk command, its docs
# and the example plan, plus whatever else `cmake --install` installs outside the
# `cardsim` component) and smk-cardsim_<version>_<arch>.deb (the card emulator, apart).
# Builds the `package` preset (Release, prefix /usr) in build/package, installs it with
# `cmake --install` into staging directories, takes Depends from the libraries each
# binary links (dpkg-shlibdeps) and builds with `dpkg-deb --root-owner-group` (no
# fakeroot). Reproducible: every mtime is SOURCE_DATE_EPOCH (the last commit's time),
# modes are normalised, xz runs single-threaded; scripts/deb-repro-check.sh builds it
# twice from two paths and compares. Checks both packages (scripts/deb-contents-check.sh)
# and prints each .deb's SHA-256 as hex, openssl's colon form and PGP words (the built
# `smk media digest`).
#   usage: scripts/make-deb.sh        (JOBS=N for build parallelism)
# Environment: SOURCE_DATE_EPOCH (default: `git log -1 --format=%ct`; without git
# 1704067200), SMK_SOURCE_COMMIT (for a tree without .git, as in repro-check.sh).
# Output: build/package/smk_<version>_<arch>.deb, build/package/smk-cardsim_<version>_<arch>.deb
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
jobs=${JOBS:-$(nproc)}
build=$src/build/package
stage=$build/deb-staging

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct HEAD 2>/dev/null || true)
  # No git (a source tarball): a fixed time, so the packages stay reproducible.
  [ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=1704067200
fi
export SOURCE_DATE_EPOCH
export LC_ALL=C TZ=UTC
umask 022

for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null ||
    { echo "make-deb: FAILED: $tool missing (Debian package dpkg-dev: scripts/install-deps.sh)" >&2; exit 2; }
done

start=$(date +%s)
mkdir -p "$build"
cmake --preset package "-DSMK_SOURCE_COMMIT=${SMK_SOURCE_COMMIT:-}" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; echo "make-deb: configure failed" >&2; exit 2; }
cmake --build --preset package -j "$jobs"
built=$(( $(date +%s) - start ))

# --- Stage: everything into smk, the cardsim component into smk-cardsim ----------------
# The layout dpkg-shlibdeps expects: $stage/debian/control, $stage/debian/<package>/DEBIAN.
rm -rf -- "$stage"
mkdir -p "$stage/debian/smk" "$stage/debian/smk-cardsim"
printf 'Source: smk\n\nPackage: smk\nArchitecture: any\n\nPackage: smk-cardsim\nArchitecture: any\n' \
  >"$stage/debian/control"
DESTDIR=$stage/debian/smk cmake --install "$build" >/dev/null
DESTDIR=$stage/debian/smk-cardsim cmake --install "$build" --component cardsim >/dev/null
(cd "$stage/debian/smk-cardsim" && find . ! -type d -print0) |
  while IFS= read -r -d '' f; do rm -f -- "$stage/debian/smk/$f"; done
find "$stage/debian/smk" -mindepth 1 -type d -empty -delete
mkdir "$stage/debian/smk/DEBIAN" "$stage/debian/smk-cardsim/DEBIAN"
[ -x "$stage/debian/smk/usr/bin/smk" ] || { echo "make-deb: FAILED: cmake --install installed no usr/bin/smk" >&2; exit 1; }
[ -x "$stage/debian/smk-cardsim/usr/bin/smk-cardsim" ] ||
  { echo "make-deb: FAILED: cmake --install installed no usr/bin/smk-cardsim" >&2; exit 1; }

# Manual pages compressed as Debian policy asks (12.3): gzip -9n, no name or time inside,
# so the bytes depend on the page alone.
find "$stage/debian" -path '*/usr/share/man/*' -type f ! -name '*.gz' -exec gzip -9n {} +

# "smk 0.1.0 (commit SHA[+dirty])" -> 0.1.0
version=$("$stage/debian/smk/usr/bin/smk" --version | sed -n 's/^smk \([0-9][0-9A-Za-z.+~-]*\) .*/\1/p')
[ -n "$version" ] || { echo "make-deb: FAILED: smk --version names no version" >&2; exit 1; }
arch=$(dpkg --print-architecture)

# Depends of one package from the ELF files it ships (dpkg-shlibdeps reads the
# installed libraries' symbols/shlibs files).
shlibdeps() {
  local package=$1 elves=()
  while IFS= read -r -d '' f; do
    if [ "$(head -c 4 "$stage/$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then elves+=("$f"); fi
  done < <(cd "$stage" && find "debian/$package" -type f -print0 | sort -z)
  [ ${#elves[@]} -gt 0 ] || { echo "make-deb: FAILED: no ELF file in $package" >&2; return 1; }
  (cd "$stage" && dpkg-shlibdeps -O "${elves[@]}") | sed -n 's/^shlibs:Depends=//p'
}

# Installed-Size as dpkg-gencontrol counts it: KiB per file (rounded up), 1 per
# directory or symlink; from the sizes, not from du (which depends on the filesystem).
installed_size() {
  find "$1" -mindepth 1 ! -path "$1/DEBIAN*" -printf '%y %s\n' |
    awk '{ if ($1 == "f") n += int(($2 + 1023) / 1024); else n += 1 } END { print n + 0 }'
}

# control, md5sums, normalised modes and mtimes, then dpkg-deb.
build_deb() {
  local name=$1 root=$stage/debian/$1 depends=$2 recommends=$3 summary=$4 body=$5 deb
  mkdir -p "$root/DEBIAN"
  (cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: smk developers <dev@smk.invalid>"
    echo "Installed-Size: $(installed_size "$root")"
    echo "Depends: $depends"
    [ -z "$recommends" ] || echo "Recommends: $recommends"
    echo "Section: utils"
    echo "Priority: optional"
    echo "Description: $summary"
    printf '%s\n' "$body" | sed 's/^/ /'
  } >"$root/DEBIAN/control"
  find "$root" -type d -exec chmod 0755 {} +
  find "$root" -type f -perm /111 -exec chmod 0755 {} +
  find "$root" -type f ! -perm /111 -exec chmod 0644 {} +
  find "$root" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
  deb=$build/${name}_${version}_${arch}.deb
  rm -f -- "$deb"
  dpkg-deb --root-owner-group -Zxz --threads-max=1 --build "$root" "$deb" >/dev/null
}

depends_smk=$(shlibdeps smk)
depends_cardsim=$(shlibdeps smk-cardsim)
rm -f -- "$build"/smk_*.deb "$build"/smk-cardsim_*.deb
build_deb smk "$depends_smk" "pcscd, fonts-dejavu-core" \
  "Storage Master Key toolkit for HSM key ceremonies" \
  "smk splits an HSM's Storage Master Key into SLIP-0039 Shamir shares,
recombines them with every wrong or missing share named, writes shares to
OpenPGP cards and PKCS#11 tokens, installs the key into PKCS#11 HSMs, prepares
and verifies backup drives, and runs the ceremonies around it from one plan
with a hash-chained transcript. Docs and an example plan: /usr/share/doc/smk."
build_deb smk-cardsim "$depends_cardsim" "vsmartcard-vpcd, pcscd" \
  "OpenPGP card emulator for rehearsing smk ceremonies" \
  "smk-cardsim emulates an OpenPGP card 3.4 on a vsmartcard vpcd virtual reader,
for tests and rehearsals of smk's ceremonies without real cards. Not for
real key material."

deb_smk=$build/smk_${version}_${arch}.deb
deb_cardsim=$build/smk-cardsim_${version}_${arch}.deb
"$src/scripts/deb-contents-check.sh" "$deb_smk" "$deb_cardsim"

echo "make-deb: cmake build ${built}s, all $(( $(date +%s) - start ))s (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, $("$stage/debian/smk/usr/bin/smk" --version))"
for deb in "$deb_smk" "$deb_cardsim"; do
  "$stage/debian/smk/usr/bin/smk" media digest "$deb"
done
