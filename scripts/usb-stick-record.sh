#!/usr/bin/env bash
# usb-stick-record.sh: a umockdev record (umockdev-run --device FILE) that makes
# a block device, typically a loop device holding a test filesystem, look to
# libudev like a SanDisk USB stick with the given USB serial (lsusb iSerial,
# sysfs `serial` of the usb_device parent), on USB port N of one xhci
# controller. With --controller, the record of that controller itself (add it
# once, after the sticks).
#
#   usb-stick-record.sh DEVICE SERIAL N LABEL >stick-N.umockdev   (LABEL: the ext4 label)
#   usb-stick-record.sh --controller >controller.umockdev
#
# As scripts/demo.sh describes its drives; smk's udev code walks up from the
# block device through scsi to the usb_device, so each level is recorded.
set -euo pipefail

if [[ ${1:-} == --controller ]]; then
    cat <<'REC'
P: /devices/pci0000:00/0000:00:14.0/usb1
N: bus/usb/001/001
E: DEVNAME=/dev/bus/usb/001/001
E: DEVTYPE=usb_device
E: DRIVER=usb
E: SUBSYSTEM=usb
A: idVendor=1d6b
A: idProduct=0002
A: serial=0000:00:14.0

P: /devices/pci0000:00/0000:00:14.0
E: DRIVER=xhci_hcd
E: SUBSYSTEM=pci
REC
    exit 0
fi

[[ $# -eq 4 && $3 =~ ^[1-9][0-9]?$ && -n $4 ]] || {
    sed -n '9,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
device=$1 serial=$2 n=$3 label=$4
[[ -b $device ]] || { echo "usb-stick-record: $device is not a block device" >&2; exit 1; }
major=$((0x$(stat -c %t "$device")))
minor=$((0x$(stat -c %T "$device")))
node=${device#/dev/}
usb="/devices/pci0000:00/0000:00:14.0/usb1/1-$n"
host=$((9 + n))
scsi="$usb/1-$n:1.0/host$host/target$host:0:0/$host:0:0:0"
cat <<REC
P: $scsi/block/$node
N: $node
E: DEVNAME=/dev/$node
E: DEVTYPE=disk
E: MAJOR=$major
E: MINOR=$minor
E: SUBSYSTEM=block
E: ID_BUS=usb
E: ID_USB_SERIAL_SHORT=$serial
E: ID_FS_TYPE=ext4
E: ID_FS_LABEL=$label
A: dev=$major:$minor
A: removable=1
A: size=65536

P: $scsi
E: DEVTYPE=scsi_device
E: DRIVER=sd
E: SUBSYSTEM=scsi
A: delete=

P: $usb/1-$n:1.0/host$host/target$host:0:0
E: DEVTYPE=scsi_target
E: SUBSYSTEM=scsi

P: $usb/1-$n:1.0/host$host
E: DEVTYPE=scsi_host
E: SUBSYSTEM=scsi

P: $usb/1-$n:1.0
E: DEVTYPE=usb_interface
E: DRIVER=usb-storage
E: SUBSYSTEM=usb
A: bInterfaceClass=08

P: $usb
N: bus/usb/001/$(printf '%03d' $((n + 1)))
E: DEVNAME=/dev/bus/usb/001/$(printf '%03d' $((n + 1)))
E: DEVTYPE=usb_device
E: DRIVER=usb
E: SUBSYSTEM=usb
A: idVendor=0781
A: idProduct=5567
A: manufacturer=SanDisk
A: product=Cruzer Blade
A: serial=$serial
A: remove=

REC
