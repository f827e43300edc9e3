import {
  CIDATA_LABEL,
  DATA_DISK_LABEL,
  GUEST_BRIDGE_SOCKET,
  RELAY_META_KEY,
  GUEST_DATA_DEVICE,
  GUEST_DATA_MOUNT,
  GUEST_LAUNCH_SCRIPT,
  GUEST_SERVICE_MOUNT,
  SERVICE_DISK_LABEL
} from '../../disk/guestLayout'
import { shellQuote } from '../../disk/shellQuote'
import { CONSOLE_SIZE_PORT } from '../../vmm/vmSpec'
import { BpvmError } from '../../../../shared/errors'
import { MARKER_PREFIX, SERVICE_EXITED, SERVICE_STARTED } from '../../vmm/guestMarkers'
import * as layout from './devGuestLayout'

const q = (value: string | number): string => shellQuote(String(value))

/** A constant shown inside a double-quoted message, where sh would still expand `$`, `` ` `` and `\\`. */
function inText(value: string | number): string {
  const text = String(value)
  if (!/^[\w./=-]+$/.test(text)) throw new BpvmError('INTERNAL', `${JSON.stringify(text)} cannot be shown in an init message unquoted`)
  return text
}

// Named, not left to the kernel's default (Debian's is "ascii", a module we do not load).
const VFAT_OPTIONS = 'ro,codepage=437,iocharset=utf8'

/**
 * The dev guest's `/init` (PID 1, busybox sh). It keeps the cloud-init guest's contract:
 * disks found by label, network from CIDATA's network-config, the service disk on /srv, the
 * data disk on /mnt/data, `/srv/launch` run with its output on the serial console, the
 * power button turned into SIGINT. Every value from our side is quoted for sh.
 */
export function guestInitScript(): string {
  const cidata = layout.GUEST_CIDATA_MOUNT
  const plan = `${layout.GUEST_RUN_DIR}/network-plan`
  const diskHead = `${layout.GUEST_RUN_DIR}/data-disk-head`
  const relayDir = layout.GUEST_RELAY_DIR
  // The loader runs the program with its own libraries: nothing depends on the guest's lib dirs.
  const relayCommand = [
    q(`${relayDir}/${layout.RELAY_LOADER}`), '--library-path', q(relayDir), q(`${relayDir}/${layout.RELAY_PROGRAM}`),
    q(`UNIX-LISTEN:${GUEST_BRIDGE_SOCKET},fork,unlink-early,mode=0600`), '"TCP:$relay"'
  ].join(' ')
  // The pid is written and printed by the process that then becomes the service, so it is the service's own.
  const starter = [
    `echo $$ > ${q(layout.GUEST_PID_FILE)}`,
    `echo ${q(`${MARKER_PREFIX} ${SERVICE_STARTED} pid=`)}$$`,
    `exec /bin/sh ${q(GUEST_LAUNCH_SCRIPT)}`
  ].join('; ')
  return `#!/bin/sh
# PID 1 of the bpvm dev guest. A step that fails prints why and powers the VM off,
# so the host never waits on a guest that hangs.
PATH=${q(layout.GUEST_PATH)}
export PATH
# Nothing below expands globs unless it asks to.
set -f
/bin/busybox --install -s

say() { echo "bpvm-init: $*"; }
fail() {
  say "error: $*"
  exec /bin/sh ${q(layout.GUEST_POWER_OFF)}
}
# Devices appear shortly after their driver loads: try "$@" for up to 5 s, every 100 ms
# (every 20 ms made no difference that could be measured under TCG).
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    [ "$tries" -ge 50 ] && return 1
    usleep 100000
  done
}
label_device() { findfs "LABEL=$1" 2>/dev/null; }
nic_with_mac() {
  set +f
  for dir in /sys/class/net/*; do
    if [ "$(cat "$dir/address" 2>/dev/null)" = "$1" ]; then
      echo "\${dir##*/}"
      return 0
    fi
  done
  return 1
}
# Blank means the first MiB is zeros: no partition table and no filesystem to lose.
is_blank() {
  dd if="$1" of=${q(diskHead)} bs=65536 count=16 2>/dev/null || return 1
  ! od -An -tx1 ${q(diskHead)} | grep -q '[1-9a-f]'
}

mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "cannot mount /dev"
mkdir -p ${q(layout.GUEST_RUN_DIR)} ${q(cidata)} ${q(GUEST_SERVICE_MOUNT)} ${q(GUEST_DATA_MOUNT)}

grace=${q(layout.DEFAULT_GRACE_SECONDS)}
for word in $(cat /proc/cmdline); do
  case $word in
    ${q(`${layout.GRACE_PARAMETER}=`)}*) grace=\${word#${q(`${layout.GRACE_PARAMETER}=`)}} ;;
  esac
done
case $grace in
  '' | *[!0-9]*)
    say "${inText(layout.GRACE_PARAMETER)}=$grace is not a whole number of seconds; using ${inText(layout.DEFAULT_GRACE_SECONDS)}"
    grace=${q(layout.DEFAULT_GRACE_SECONDS)} ;;
esac
echo "$grace" > ${q(layout.GUEST_GRACE_FILE)}

while read -r module; do
  [ -n "$module" ] || continue
  insmod ${q(layout.GUEST_MODULE_DIR)}/"$module".ko || fail "cannot load the kernel module $module"
done < ${q(layout.GUEST_MODULE_LIST)}

# Listening from here on, so a press during the rest of the boot is not lost.
set +f
if ls /dev/input/event* > /dev/null 2>&1; then
  acpid -f -c ${q(layout.GUEST_ACPI_DIR)} -l /dev/null -p ${q(`${layout.GUEST_RUN_DIR}/acpid.pid`)} &
else
  say "no input devices: the power button will not stop the service"
fi
set -f

cidata=$(retry label_device ${q(CIDATA_LABEL)}) || fail "no disk labelled ${inText(CIDATA_LABEL)} (the cloud-init disk)"
mount -t vfat -o ${q(VFAT_OPTIONS)} "$cidata" ${q(cidata)} || fail "cannot mount the ${inText(CIDATA_LABEL)} disk ($cidata)"
[ -f ${q(`${cidata}/meta-data`)} ] || fail "the ${inText(CIDATA_LABEL)} disk has no meta-data"
instance_id=$(awk -f ${q(layout.GUEST_YAML_AWK)} ${q(`${cidata}/meta-data`)} | sed -n 's/^instance-id=//p' | head -n 1)
[ -n "$instance_id" ] || fail "meta-data has no instance-id"
say "instance-id $instance_id"
relay=$(awk -f ${q(layout.GUEST_YAML_AWK)} ${q(`${cidata}/meta-data`)} | sed -n ${q(`s/^${RELAY_META_KEY}=//p`)} | head -n 1)

ip link set lo up || fail "cannot bring the loopback interface up"
if [ -f ${q(`${cidata}/network-config`)} ]; then
  awk -f ${q(layout.GUEST_YAML_AWK)} ${q(`${cidata}/network-config`)} | awk -f ${q(layout.GUEST_NETWORK_AWK)} > ${q(plan)} \\
    || fail "cannot read network-config"
  nic=
  while read -r kind value; do
    case $kind in
      nic)
        nic=$(retry nic_with_mac "$value") || fail "no network interface has the MAC address $value from network-config"
        ip link set "$nic" up || fail "cannot bring $nic up"
        say "network: $nic is $value" ;;
      addr)
        ip addr add "$value" dev "$nic" || fail "cannot give $nic the address $value"
        say "network: $nic has $value" ;;
      gateway)
        ip route add default via "$value" dev "$nic" || fail "cannot add the default route via $value"
        say "network: default route via $value" ;;
      dns) echo "nameserver $value" >> /etc/resolv.conf ;;
      skip) say "network-config: ethernet $value has no MAC address to match; left unconfigured" ;;
    esac
  done < ${q(plan)}
else
  say "the ${inText(CIDATA_LABEL)} disk has no network-config; networking left unconfigured"
fi
umount ${q(cidata)}

# The interactive console, when the VMM gives one: a root shell on hvc0, started again whenever
# it exits, and the window size the viewer reports (a line "rows cols" on the size port) set on
# hvc0, which tells the shell with SIGWINCH. Nothing of it goes to the serial log.
console_shell() {
  retry test -c /dev/hvc0 || return 0
  while :; do
    HOME=/ TERM=xterm-256color setsid -c /bin/sh -l < /dev/hvc0 > /dev/hvc0 2>&1
    usleep 200000
  done
}
console_size() {
  port=
  for p in $(ls /sys/class/virtio-ports 2>/dev/null); do
    [ "$(cat "/sys/class/virtio-ports/$p/name" 2>/dev/null)" = ${q(CONSOLE_SIZE_PORT)} ] && port=/dev/$p
  done
  [ -n "$port" ] || return 0
  while :; do
    while read -r rows cols; do
      case "$rows$cols" in '' | *[!0-9]*) continue ;; esac
      stty -F /dev/hvc0 rows "$rows" cols "$cols"
    done < "$port"
    usleep 200000
  done
}
console_shell &
console_size &

# The bridge relay, when the host has no vsock: the service's BRIDGE_SOCKET_PATH joined to the
# bridge's port on the gateway, kept up for as long as the guest runs.
if [ -n "$relay" ]; then
  case $relay in
    *[!0-9.:]* | *:*:* | :* | *:) relay_ok= ;;
    *:*) relay_ok=1 ;;
    *) relay_ok= ;;
  esac
  [ -n "$relay_ok" ] || fail "meta-data's ${inText(RELAY_META_KEY)} is not address:port: $relay"
  [ -x ${q(`${relayDir}/${layout.RELAY_PROGRAM}`)} ] || fail "the bridge relay was asked for but this initramfs has none"
  (while :; do ${relayCommand}; sleep 1; done) &
  retry test -S ${q(GUEST_BRIDGE_SOCKET)} || fail "the bridge relay did not make ${inText(GUEST_BRIDGE_SOCKET)}"
  say "bridge relay: ${inText(GUEST_BRIDGE_SOCKET)} to $relay"
fi

srv=$(retry label_device ${q(SERVICE_DISK_LABEL)}) || fail "no disk labelled ${inText(SERVICE_DISK_LABEL)} (the service disk)"
mount -t vfat -o ${q(VFAT_OPTIONS)} "$srv" ${q(GUEST_SERVICE_MOUNT)} || fail "cannot mount the service disk ($srv) on ${inText(GUEST_SERVICE_MOUNT)}"
[ -f ${q(GUEST_LAUNCH_SCRIPT)} ] || fail "the service disk has no launch script"

# The data disk is the virtio disk whose serial says "data" (the VMM sets it from the disk's
# role); without serials, the third disk, as in the cloud-init guest.
datadev=
# (Globbing is off in this script, so the disks are listed rather than matched.)
for disk in $(ls /sys/block); do
  if [ "$(cat "/sys/block/$disk/serial" 2>/dev/null)" = data ]; then datadev=/dev/$disk; fi
done
[ -n "$datadev" ] || datadev=${q(GUEST_DATA_DEVICE)}
retry test -b "$datadev" || fail "no data disk: $datadev does not exist"
data=$(label_device ${q(DATA_DISK_LABEL)})
case $data in
  "$datadev" | "$datadev"1) say "data disk: keeping the ${inText(DATA_DISK_LABEL)} filesystem on $data" ;;
  *)
    is_blank "$datadev" || fail "$datadev is not blank and has no ${inText(DATA_DISK_LABEL)} filesystem; refusing to format it"
    say "data disk: first boot, formatting $datadev (ext2, label ${inText(DATA_DISK_LABEL)})"
    mke2fs -L ${q(DATA_DISK_LABEL)} "$datadev" > /dev/null || fail "cannot format $datadev"
    data=$datadev ;;
esac
mount "$data" ${q(GUEST_DATA_MOUNT)} || fail "cannot mount the data disk ($data) on ${inText(GUEST_DATA_MOUNT)}"

if [ -e ${q(layout.GUEST_STOP_FILE)} ]; then
  say "the power button was pressed before the service started; not starting it"
  exec /bin/sh ${q(layout.GUEST_POWER_OFF)}
fi
say "starting ${inText(GUEST_LAUNCH_SCRIPT)}"
/bin/sh -c ${q(starter)} < /dev/null
status=$?
echo ${q(`${MARKER_PREFIX} ${SERVICE_EXITED} status=`)}"$status"
rm -f ${q(layout.GUEST_PID_FILE)}
exec /bin/sh ${q(layout.GUEST_POWER_OFF)}
`
}
