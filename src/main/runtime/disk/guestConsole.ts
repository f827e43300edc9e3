import { CONSOLE_SIZE_PORT } from '../vmm/vmSpec'
import { GUEST_SCRIPT_DIR } from './guestServiceScripts'
import { shellQuote } from './shellQuote'
import { unitFile } from './systemdUnit'

/**
 * The interactive console in a cloud-init guest (systemd): a root login on hvc0 without a
 * password, and the viewer's window size set on hvc0. Only hvc0: the serial port, the host's log
 * of the boot, keeps its ordinary login prompt. systemd's getty generator starts a getty on hvc0
 * only when the device is there when it runs, early in the boot, and the cloud kernels' virtio
 * console is a module loaded later: so the getty is enabled outright (it waits for its device),
 * and a drop-in makes it log root in.
 */

export const CONSOLE_TTY = 'hvc0'
export const CONSOLE_GETTY = `serial-getty@${CONSOLE_TTY}.service`
export const CONSOLE_AUTOLOGIN_DROP_IN = `/etc/systemd/system/${CONSOLE_GETTY}.d/bpvm-autologin.conf`
export const GUEST_CONSOLE_SIZE = `${GUEST_SCRIPT_DIR}/console-size`
export const CONSOLE_SIZE_UNIT = 'bpvm-console-size.service'

/** The getty's command replaced by one that logs root in at once, in a terminal xterm.js and bpvm console both render. */
export function consoleAutologinDropIn(): string {
  return unitFile({
    Service: [
      ['Environment', 'TERM=xterm-256color'],
      // An empty ExecStart= clears the unit's own before the new one.
      ['ExecStart', ''],
      ['ExecStart', '-/sbin/agetty --autologin root --noclear %I $TERM']
    ]
  })
}

/**
 * Reads "rows cols" lines from the size port (QEMU's second virtio console port; cloud-hypervisor
 * has none, and the script then ends) and sets them on hvc0, which tells its shell with SIGWINCH.
 * The port is found by its name in sysfs, as the virtio console driver publishes it.
 */
export function consoleSizeScript(): string {
  return `#!/bin/sh
find_port() {
  for dir in /sys/class/virtio-ports/*; do
    [ "$(cat "$dir/name" 2>/dev/null)" = ${shellQuote(CONSOLE_SIZE_PORT)} ] && echo "/dev/\${dir##*/}" && return 0
  done
  return 1
}
tries=0
until port=$(find_port); do
  tries=$((tries + 1))
  [ "$tries" -ge 30 ] && exit 0
  sleep 1
done
while :; do
  while read -r rows cols; do
    case "$rows$cols" in '' | *[!0-9]*) continue ;; esac
    stty -F /dev/${CONSOLE_TTY} rows "$rows" cols "$cols"
  done < "$port"
  sleep 0.2
done
`
}

export function consoleSizeUnit(): string {
  return unitFile({
    Unit: [
      ['Description', 'bpvm: the console viewer\'s window size on hvc0'],
      // Started once hvc0 is there (the virtio console module loads during the boot), as its getty is.
      ['BindsTo', `dev-${CONSOLE_TTY}.device`],
      ['After', `dev-${CONSOLE_TTY}.device`]
    ],
    Service: [
      ['Type', 'simple'],
      ['ExecStart', GUEST_CONSOLE_SIZE],
      ['Restart', 'on-failure'],
      ['RestartSec', '1']
    ],
    Install: [['WantedBy', 'multi-user.target']]
  })
}

/** What cloud-init writes for the console. */
export function consoleWriteFiles(): Array<{ path: string; permissions: string; content: string }> {
  return [
    { path: CONSOLE_AUTOLOGIN_DROP_IN, permissions: '0644', content: consoleAutologinDropIn() },
    { path: GUEST_CONSOLE_SIZE, permissions: '0755', content: consoleSizeScript() },
    { path: `/etc/systemd/system/${CONSOLE_SIZE_UNIT}`, permissions: '0644', content: consoleSizeUnit() }
  ]
}

/**
 * Run after `systemctl daemon-reload`: the getty on hvc0 is enabled for every boot, and started
 * (again, if it was already running without the drop-in) now, without waiting: never block
 * cloud-init on a getty. On later boots systemd starts it with the drop-in from the start.
 */
export function consoleRunCommands(): string[][] {
  return [
    ['systemctl', 'enable', CONSOLE_GETTY],
    ['sh', '-c', `if [ -e /dev/${CONSOLE_TTY} ]; then systemctl --no-block restart ${CONSOLE_GETTY}; fi`],
    ['systemctl', 'enable', '--now', '--no-block', CONSOLE_SIZE_UNIT]
  ]
}
