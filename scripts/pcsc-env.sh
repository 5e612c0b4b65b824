#!/usr/bin/env bash
# pcsc-env.sh: a private PC/SC stack for tests and ceremony rehearsals
# (docs/CARDSIM.md): one pcscd in its own mount and network namespace, with
# vpcd virtual readers, and N smk-cardsim OpenPGP cards inserted in them.
#
#   pcsc-env.sh start STATE_DIR N [--serial-base HEX8] [--binary PATH] [--fresh]
#                                 [--card-opts I "OPTS"]... [--vicc I]... [--timeout SECONDS]
#   pcsc-env.sh stop STATE_DIR
#   pcsc-env.sh card-stop STATE_DIR I            (pull card I out of its reader)
#   pcsc-env.sh card-start STATE_DIR I [OPTS...] (insert it again; OPTS replace its extra options)
#   pcsc-env.sh status STATE_DIR
#
# Clients use PCSCLITE_CSOCK_NAME=STATE_DIR/run/pcscd.comm; STATE_DIR/env holds
# it and every reader name, port, serial, state file and PID (shell syntax).
# The emulator binary: --binary PATH, else $SMK_CARDSIM, else smk-cardsim on PATH.
# --vicc I: card I is vicc (python3-virtualsmartcard, type iso7816), a card that
# is NOT an OpenPGP card, instead of smk-cardsim.
# Needs root (mount and network namespaces). Exit codes: 0 ok, 1 failure, 2 usage.
set -euo pipefail

readonly BASE_PORT=35963
readonly VPCD_DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

die() { echo "pcsc-env: $*" >&2; exit 1; }
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# vicc from the Debian package needs its module directory on PYTHONPATH, a
# `Crypto` name for pycryptodome's `Cryptodome`, and Debian's python3. Its
# Iso7816OS.formatResult raises TypeError on a case-3 APDU (no Le) to a
# seekable instruction; the launcher patches that so the card answers instead
# of vanishing. The marker argument `smk-vicc` lets pid_runs recognise it.
readonly VICC_MODULES=/usr/lib/python3/site-packages/virtualsmartcard
readonly CRYPTODOME=/usr/lib/python3/dist-packages/Cryptodome
write_vicc_launcher() { # dir
  mkdir -p "$1/vicc-shim"
  ln -sfn "$CRYPTODOME" "$1/vicc-shim/Crypto"
  cat >"$1/vicc.py" <<'PY'
import sys
from virtualsmartcard.VirtualSmartcard import VirtualICC, Iso7816OS
_format = Iso7816OS.formatResult
def _format_without_le(self, seekable, le, data, sw, sm):
    if le is None and seekable:
        le = 0
    return _format(self, seekable, le, data, sw, sm)
Iso7816OS.formatResult = _format_without_le
VirtualICC(None, "iso7816", "127.0.0.1", int(sys.argv[1])).run()
PY
}

# The program name of card I's emulator, as its command line shows it.
card_program() { # dir i
  if [[ -e $1/card-$2.vicc ]]; then echo smk-vicc; else echo smk-cardsim; fi
}

# A PID counts as ours only if it is alive and runs the expected program.
pid_runs() { # pid name
  [[ -n "$1" && -r /proc/$1/cmdline ]] && tr '\0' ' ' </proc/"$1"/cmdline | grep -q -- "$2"
}

stop_pid() { # pid name
  local pid=$1 name=$2 i
  pid_runs "$pid" "$name" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do
    pid_runs "$pid" "$name" || return 0
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.1
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (it creates mount and network namespaces for a private pcscd)"
  local tool
  for tool in pcscd unshare nsenter ip findmnt opensc-tool; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run scripts/install-deps.sh"
  done
  [[ -e $VPCD_DRIVER ]] || die "vpcd driver $VPCD_DRIVER missing; install vsmartcard-vpcd"
}

read_var() { # dir name -> value from DIR/env
  local line
  line=$(grep -m1 "^$2=" "$1/env" 2>/dev/null) || return 1
  line=${line#*=}; line=${line#\'}; echo "${line%\'}"
}

card_reader() { echo "smk-cardsim $(($1 / 2)) 00 0$(($1 % 2))"; }

write_env() { # dir
  local dir=$1 n pcscd_pid i tmp
  n=$(cat "$dir/cards"); pcscd_pid=$(cat "$dir/pcscd.pid")
  tmp=$(mktemp "$dir/.env.XXXXXX")
  {
    echo "# written by scripts/pcsc-env.sh; source it or parse KEY='value' lines"
    echo "PCSCLITE_CSOCK_NAME='$dir/run/pcscd.comm'"
    echo "SMK_PCSC_STATE_DIR='$dir'"
    echo "SMK_PCSC_CARDS='$n'"
    echo "SMK_PCSC_PCSCD_PID='$pcscd_pid'"
    echo "SMK_CARDSIM='$(cat "$dir/binary")'"
    for ((i = 0; i < n; i++)); do
      echo "SMK_PCSC_READER_$i='$(card_reader "$i")'"
      echo "SMK_PCSC_PORT_$i='$((BASE_PORT + i))'"
      echo "SMK_PCSC_SERIAL_$i='$(cat "$dir/card-$i.serial")'"
      echo "SMK_PCSC_STATE_$i='$dir/card-$i.state'"
      echo "SMK_PCSC_CARD_PID_$i='$(cat "$dir/card-$i.pid" 2>/dev/null || true)'"
      echo "SMK_PCSC_KIND_$i='$(card_program "$dir" "$i")'"
    done
  } >"$tmp"
  mv -f "$tmp" "$dir/env"
}

start_card() { # dir i
  local dir=$1 i=$2 pcscd_pid binary pid
  pcscd_pid=$(cat "$dir/pcscd.pid"); binary=$(cat "$dir/binary")
  local program; program=$(card_program "$dir" "$i")
  pid_runs "$pcscd_pid" pcscd || die "pcscd (PID $pcscd_pid) of $dir is not running; run start again"
  if pid_runs "$(cat "$dir/card-$i.pid" 2>/dev/null || true)" "$program"; then
    die "card $i is already inserted (PID $(cat "$dir/card-$i.pid"))"
  fi
  if [[ $program == smk-vicc ]]; then
    [[ -d $VICC_MODULES && -d $CRYPTODOME && -x /usr/bin/python3 ]] ||
      die "card $i: vicc needs python3-virtualsmartcard and python3-pycryptodome (Debian's /usr/bin/python3)"
    write_vicc_launcher "$dir"
    nsenter -t "$pcscd_pid" -n env PYTHONPATH="$VICC_MODULES:$dir/vicc-shim" \
      /usr/bin/python3 "$dir/vicc.py" $((BASE_PORT + i)) smk-vicc </dev/null >>"$dir/card-$i.log" 2>&1 &
  else
    local -a extra=()
    [[ -s $dir/card-$i.args ]] && mapfile -t extra <"$dir/card-$i.args"
    nsenter -t "$pcscd_pid" -n "$binary" --port $((BASE_PORT + i)) --state "$dir/card-$i.state" \
      --serial "$(cat "$dir/card-$i.serial")" "${extra[@]}" </dev/null >>"$dir/card-$i.log" 2>&1 &
  fi
  pid=$!
  echo "$pid" >"$dir/card-$i.pid"
  sleep 0.2
  pid_runs "$pid" "$program" || die "card $i did not start; see $dir/card-$i.log: $(tail -n 2 "$dir/card-$i.log")"
}

# Count readers that hold a card, as a PC/SC client sees them.
cards_present() { # dir
  PCSCLITE_CSOCK_NAME="$1/run/pcscd.comm" opensc-tool -l 2>/dev/null | grep -c '^[0-9][0-9]* *Yes' || true
}

wait_for_cards() { # dir expected timeout
  local dir=$1 want=$2 timeout=$3 seen=0 t
  for ((t = 0; t < timeout * 10; t++)); do
    seen=$(cards_present "$dir")
    [[ $seen -eq $want ]] && return 0
    sleep 0.1
  done
  die "after ${timeout}s a PC/SC client sees $seen card(s) instead of $want in $dir; logs: $dir/pcscd.log, $dir/card-*.log"
}

cmd_stop() { # dir
  local dir=$1 f
  [[ -d $dir ]] || die "no such state directory: $dir"
  for f in "$dir"/card-*.pid; do
    [[ -e $f ]] || continue
    local i=${f##*/card-}; i=${i%.pid}
    stop_pid "$(cat "$f")" "$(card_program "$dir" "$i")"
    rm -f "$f"
  done
  # The bind mount of run/ over /run/pcscd lives only in pcscd's private mount
  # namespace: it goes away with the process.
  [[ -e $dir/pcscd.pid ]] && stop_pid "$(cat "$dir/pcscd.pid")" pcscd
  rm -f "$dir/pcscd.pid" "$dir/env" "$dir/run/pcscd.comm" "$dir/run/pcscd.pid"
}

cmd_start() {
  local dir=$1 n=$2; shift 2
  local serial_base=5AC00000 binary=${SMK_CARDSIM:-} fresh=0 timeout=15 i
  declare -A card_opts=() vicc=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      --serial-base) serial_base=${2:?}; shift 2 ;;
      --binary) binary=${2:?}; shift 2 ;;
      --fresh) fresh=1; shift ;;
      --timeout) timeout=${2:?}; shift 2 ;;
      --card-opts) card_opts[${2:?}]=${3?}; shift 3 ;;
      --vicc) vicc[${2:?}]=1; shift 2 ;;
      *) echo "pcsc-env: unknown option '$1'" >&2; usage ;;
    esac
  done
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 16 ]] || { echo "pcsc-env: N must be 1..16" >&2; exit 2; }
  [[ $serial_base =~ ^[0-9A-Fa-f]{8}$ ]] || { echo "pcsc-env: --serial-base must be 8 hex digits" >&2; exit 2; }
  [[ -z $binary ]] && binary=$(command -v smk-cardsim || true)
  [[ -n $binary && -x $binary ]] || die "smk-cardsim binary not found; pass --binary PATH or set SMK_CARDSIM"
  binary=$(readlink -f "$binary")
  need_root

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ -e $dir/pcscd.pid || -e $dir/env ]] && cmd_stop "$dir"
  [[ $fresh -eq 1 ]] && rm -f "$dir"/card-*.state "$dir"/card-*.log "$dir"/card-*.args
  rm -f "$dir"/card-*.vicc
  mkdir -p "$dir/run" "$dir/reader.conf.d" "$dir/drivers" /run/pcscd
  rm -f "$dir"/reader.conf.d/* "$dir"/drivers/*
  echo "$n" >"$dir/cards"
  echo "$binary" >"$dir/binary"

  # vpcd keeps its sockets in library globals: a second DEVICENAME block with
  # the same LIBPATH takes over the first one's readers. Each block (two
  # readers, ports P and P+1) therefore loads its own copy of the driver.
  local blocks=$(((n + 1) / 2)) b port
  for ((b = 0; b < blocks; b++)); do
    port=$((BASE_PORT + 2 * b))
    cp "$(readlink -f "$VPCD_DRIVER")" "$dir/drivers/libifdvpcd-$b.so"
    cat >>"$dir/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "smk-cardsim $b"
DEVICENAME   /dev/null:$port
LIBPATH      $dir/drivers/libifdvpcd-$b.so
CHANNELID    $port

CONF
  done

  # pcscd always binds /run/pcscd/pcscd.comm: give it a private /run/pcscd and
  # a private network namespace (vpcd listens on all interfaces).
  # A new mount namespace starts with a copy of every mount present now: a drive
  # mounted before `start` would stay mounted in it after the System Administrator
  # unmounts it, and could not really be ejected during a rehearsal. So every
  # mount pcscd does not need (anything but /, /proc, /sys, /dev, /run, /usr, /etc,
  # /lib*, /bin, /sbin, /run/pcscd and the mounts that hold the state directory)
  # is detached inside the namespace before pcscd starts; nothing changes outside it.
  unshare --mount --net --propagation private \
    bash -c '
      ip link set lo up && mount --bind "$1/run" /run/pcscd || exit 1
      findmnt -rn -o TARGET | sort -r | while read -r escaped; do
        target=$(printf "%b" "$escaped")
        case $target in
          / | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/pcscd) continue ;;
          /usr | /usr/* | /etc | /etc/* | /lib* | /bin | /sbin) continue ;;
        esac
        case $1/ in "$target"/*) continue ;; esac
        umount -l "$target" || echo "pcsc-env: could not detach $target from pcscd'"'"'s namespace" >&2
      done
      exec pcscd -f -c "$1/reader.conf.d"' \
    bash "$dir" </dev/null >"$dir/pcscd.log" 2>&1 &
  echo $! >"$dir/pcscd.pid"
  for ((i = 0; i < 50; i++)); do
    [[ -S $dir/run/pcscd.comm ]] && break
    pid_runs "$(cat "$dir/pcscd.pid")" pcscd || sleep 0.1
    sleep 0.1
  done
  [[ -S $dir/run/pcscd.comm ]] || { cmd_stop "$dir"; die "pcscd did not come up; see $dir/pcscd.log"; }

  for ((i = 0; i < n; i++)); do
    printf '%08X\n' $((0x$serial_base + i)) >"$dir/card-$i.serial"
    [[ -n ${vicc[$i]:-} ]] && touch "$dir/card-$i.vicc"
    if [[ -n ${card_opts[$i]:-} ]]; then
      tr ' ' '\n' <<<"${card_opts[$i]}" | grep -v '^$' >"$dir/card-$i.args"
    fi
    start_card "$dir" "$i"
  done
  write_env "$dir"
  wait_for_cards "$dir" "$n" "$timeout"
  echo "pcsc-env: pcscd PID $(cat "$dir/pcscd.pid"), $n card(s); PCSCLITE_CSOCK_NAME=$dir/run/pcscd.comm; see $dir/env"
}

wait_reader_empty() { # dir i
  local dir=$1 i=$2 t
  for ((t = 0; t < 100; t++)); do
    PCSCLITE_CSOCK_NAME="$dir/run/pcscd.comm" opensc-tool -l 2>/dev/null |
      grep -q "Yes .*$(card_reader "$i")\$" || return 0
    sleep 0.1
  done
  die "reader '$(card_reader "$i")' of $dir still shows a card 10s after it was taken out"
}

cmd_card_start() { # dir i [opts...]
  local dir=$1 i=$2; shift 2
  [[ -e $dir/env ]] || die "no running stack in $dir (no env file)"
  [[ $i =~ ^[0-9]+$ && $i -lt $(cat "$dir/cards") ]] || die "no card $i in $dir"
  if [[ $# -gt 0 ]]; then printf '%s\n' "$@" >"$dir/card-$i.args"; fi
  # A card killed outside card-stop is still shown until pcscd's next poll: wait
  # for the reader to be seen empty first, or the old card would count as inserted.
  wait_reader_empty "$dir" "$i"
  start_card "$dir" "$i"
  write_env "$dir"
  local t
  for ((t = 0; t < 100; t++)); do
    PCSCLITE_CSOCK_NAME="$dir/run/pcscd.comm" opensc-tool -l 2>/dev/null |
      grep -q "Yes .*$(card_reader "$i")\$" && return 0
    sleep 0.1
  done
  die "card $i started but reader '$(card_reader "$i")' shows no card after 10s; see $dir/card-$i.log"
}

cmd_card_stop() { # dir i
  local dir=$1 i=$2
  [[ -e $dir/env ]] || die "no running stack in $dir (no env file)"
  [[ -e $dir/card-$i.pid ]] || die "card $i is not inserted"
  stop_pid "$(cat "$dir/card-$i.pid")" "$(card_program "$dir" "$i")"
  rm -f "$dir/card-$i.pid"
  write_env "$dir"
  # pcscd notices a removal only at its next poll; return once it has.
  wait_reader_empty "$dir" "$i"
}

[[ $# -ge 2 ]] || usage
command=$1
state_dir=$2
case $command in
  start) [[ $# -ge 3 ]] || usage; cmd_start "$state_dir" "$3" "${@:4}" ;;
  stop) need_root; cmd_stop "$state_dir" ;;
  card-start) [[ $# -ge 3 ]] || usage; need_root; cmd_card_start "$state_dir" "$3" "${@:4}" ;;
  card-stop) [[ $# -eq 3 ]] || usage; need_root; cmd_card_stop "$state_dir" "$3" ;;
  status) cat "$state_dir/env" 2>/dev/null || die "no running stack in $state_dir"
          echo "# cards seen by PC/SC: $(cards_present "$state_dir")" ;;
  *) usage ;;
esac
