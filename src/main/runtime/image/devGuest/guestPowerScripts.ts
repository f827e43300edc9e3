import { shellQuote } from '../../disk/shellQuote'
import { GUEST_DATA_MOUNT, GUEST_SERVICE_MOUNT } from '../../disk/guestLayout'
import * as layout from './devGuestLayout'

const q = (value: string | number): string => shellQuote(String(value))

/** Ends the VM: whatever is left of the service is killed, the disks are flushed and unmounted. */
export function powerOffScript(): string {
  return `#!/bin/sh
PATH=${q(layout.GUEST_PATH)}
echo "bpvm-init: powering off"
# Every process but PID 1 and this one: nothing may keep the data disk busy.
kill -KILL -1 2>/dev/null
sync
umount ${q(GUEST_DATA_MOUNT)} 2>/dev/null
umount ${q(GUEST_SERVICE_MOUNT)} 2>/dev/null
poweroff -f
# Only reached if the kernel refused; as PID 1, exiting panics, and panic=-1 ends the VM.
echo o > /proc/sysrq-trigger
`
}

/**
 * What busybox acpid runs on the ACPI power button: SIGINT to the service, as the cloud-init
 * guest's launch unit gets, then power off when the grace period (counted from the press) ends,
 * whether it stopped or not. Pressed before the service started, the request file tells the
 * init not to start it; the grace period still bounds the wait.
 */
export function powerButtonScript(): string {
  return `#!/bin/sh
PATH=${q(layout.GUEST_PATH)}
# acpid may point our output at its log; the console is where the host looks.
exec > /dev/console 2>&1
echo "bpvm-init: power button pressed"
touch ${q(layout.GUEST_STOP_FILE)}
grace=$(cat ${q(layout.GUEST_GRACE_FILE)} 2>/dev/null)
grace=\${grace:-${q(layout.DEFAULT_GRACE_SECONDS)}}
ticks=0
signalled=
while [ "$ticks" -lt $((grace * 10)) ]; do
  pid=$(cat ${q(layout.GUEST_PID_FILE)} 2>/dev/null)
  if [ -z "$signalled" ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "bpvm-init: sending SIGINT to the service (pid $pid); powering off in $grace s at the latest"
    kill -INT "$pid"
    signalled=1
  fi
  usleep 100000
  ticks=$((ticks + 1))
done
echo "bpvm-init: the service did not stop within $grace s"
exec /bin/sh ${q(layout.GUEST_POWER_OFF)}
`
}
