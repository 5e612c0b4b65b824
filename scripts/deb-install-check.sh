#!/usr/bin/env bash
# The package installs where nothing else is: a clean Debian 12 root made by
# `debootstrap --variant=minbase bookworm` (from the mirror and suites this machine's apt
# uses), then, inside it, `apt-get install ./smk_<version>_<arch>.deb` (apt takes the
# Depends from the archive, so a missing or wrong Depends fails here), then as a user
# of the root would:
#   - `smk --version` names the package's version;
#   - `smk version` names the binary /usr/bin/smk and its SHA-256, equal to sha256sum's;
#   - `smk split --out-dir` makes 2 sets of 7 shares, and `smk combine --out` from 5 shares
#     of set B gives back the split's secret (a fixed test key, --secret-file);
#   - the manual pages smk(1) and smk-plan(5) and the bash completion are where man and
#     bash-completion look for them (the pages themselves are checked by tests/cli:
#     man --warnings, groff -ww).
# The smk-cardsim package is not installed: the smk package must stand alone.
#   usage: scripts/deb-install-check.sh SMK_DEB [WORK_DIR]
# WORK_DIR (default: a fresh temp dir, removed at exit) keeps the root. Needs root
# (debootstrap, chroot, mount) and the network (the Debian mirror).
set -euo pipefail

die() { echo "deb-install-check: FAILED: $*" >&2; exit 1; }
[ $# -ge 1 ] || { echo "usage: scripts/deb-install-check.sh SMK_DEB [WORK_DIR]" >&2; exit 2; }
deb=$(realpath "$1")
[ -f "$deb" ] || die "no package $1; build it with make deb"
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || die "debootstrap missing (scripts/install-deps.sh installs it)"

keep=0
if [ $# -ge 2 ]; then
  work=$(mkdir -p "$2" && cd "$2" && pwd)
  keep=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/smk-deb-install.XXXXXX")
fi
root=$work/root
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  if [ "$keep" -eq 0 ]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT

# The mirror this machine's apt uses (deb822 or one-line form); Debian's otherwise.
mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=${mirror%/debian}/debian-security

start=$(date +%s)
echo "deb-install-check: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above; is $mirror reachable?)"; }
# The suites the package was built against: a stable release with its updates.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
echo "deb-install-check: root ready in $(( $(date +%s) - start ))s"

name=$(basename "$deb")
cp "$deb" "$root/tmp/$name"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get update in the root"; }
# Exactly the README's form: apt-get install ./smk_<version>_<arch>.deb
in_root sh -c "cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./$name" \
  >>"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; die "apt-get install ./$name in a clean bookworm root"; }
echo "deb-install-check: apt-get install ./$name: $(in_root dpkg-query -W -f='${Package} ${Version} ${Status}' smk)"

version=$(dpkg-deb -f "$deb" Version)
got=$(in_root smk --version) || die "smk --version in the root"
echo "deb-install-check: smk --version: $got"
[[ $got == "smk $version "* ]] || die "smk --version says '$got', the package is $version"

digest=$(in_root sha256sum /usr/bin/smk | cut -d' ' -f1)
in_root smk version >"$work/version.txt" || die "smk version in the root"
grep -q '/usr/bin/smk' "$work/version.txt" || die "smk version does not name /usr/bin/smk: $(cat "$work/version.txt")"
grep -q "$digest" "$work/version.txt" || die "smk version's SHA-256 is not sha256sum's $digest"
echo "deb-install-check: smk version: /usr/bin/smk $digest (sha256sum agrees)"

secret=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
in_root sh -c "umask 077 && mkdir /tmp/shares && echo $secret > /tmp/secret.hex" ||
  die "cannot write the test key in the root"
in_root smk split --secret-file /tmp/secret.hex --out-dir /tmp/shares >"$work/split.txt" 2>&1 ||
  die "smk split --out-dir in the root: $(cat "$work/split.txt")"
count=$(in_root sh -c 'ls /tmp/shares | wc -l')
[ "$count" -eq 14 ] || die "smk split made $count share files, not 14"
in_root sh -c 'smk combine --out /tmp/combined.hex $(ls /tmp/shares/*-setB-share*.txt | head -5)' \
  >"$work/combine.txt" 2>&1 || die "smk combine --out in the root: $(cat "$work/combine.txt")"
[ "$(cat "$root/tmp/combined.hex")" = "$secret" ] || die "smk combine gave another key than the one split"
echo "deb-install-check: smk split --out-dir: 14 shares; smk combine --out from 5 of set B: the key split"

for page in man1/smk.1.gz man5/smk-plan.5.gz; do
  in_root test -f "/usr/share/man/$page" || die "$page not installed under /usr/share/man"
done
in_root test -f /usr/share/bash-completion/completions/smk ||
  die "no bash completion /usr/share/bash-completion/completions/smk"
echo "deb-install-check: OK: $name installs in a clean Debian 12 root and works there ($(( $(date +%s) - start ))s)"
