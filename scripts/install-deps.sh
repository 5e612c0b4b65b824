#!/usr/bin/env bash
# Installs the Debian 12 packages smk needs to build, test and run its demo.
# Idempotent: installs only what is missing. Needs root (or sudo) when it installs.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries (README.md "Dependencies" says why each is here)
  libsodium-dev libssl-dev libcli11-dev libfmt-dev nlohmann-json3-dev doctest-dev
  libudev-dev libpcsclite-dev libp11-dev libp11-kit-dev
  libtomlplusplus-dev
  # smk transcript print --out X.pdf: cairo's PDF surface, DejaVu Sans Mono through fontconfig
  libcairo2-dev fonts-dejavu-core
  # the facility key's QR code (terminal and PNG; cairo draws the PNG)
  libqrencode-dev
  # the real stacks tests and the demo talk to: PC/SC with virtual readers, card
  # clients we did not write, SoftHSM2, recorded USB devices, loop-mounted filesystems
  pcscd vsmartcard-vpcd pcsc-tools opensc gnupg scdaemon softhsm2
  umockdev libumockdev-dev e2fsprogs exfat-fuse exfatprogs util-linux psmisc
  python3-virtualsmartcard python3-pycryptodome
  # benchmarks and independent checks
  libgfshare-bin valgrind time rsync coreutils jq gnutls-bin
  # the transcript PDF read back by a tool we did not write (pdftotext)
  poppler-utils
  # the docs' independent check of the sealed-share format (docs/transport/*.py), in tests
  python3-nacl
  # the tests decode the facility key's QR codes with zbarimg, a reader we did not write
  zbar-tools
  # assurance: libFuzzer targets need clang and its runtime
  clang-14 libclang-rt-14-dev
  # make check's format stage: the checked-in .clang-format
  clang-format-14
  # the tests render the manual page smk(1) with man --warnings and groff -ww
  man-db groff-base
  # make check's package stage: the clean Debian 12 root the package is installed into
  debootstrap
  # tests/faults crash drills: fault injection at every write, fsync, rename, close
  strace
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
