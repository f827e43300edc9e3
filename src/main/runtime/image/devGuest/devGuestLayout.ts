import { invalidInput } from '../../../../shared/errors'
import { DEFAULT_GUEST_GRACE_SECONDS } from '../../disk/guestServiceScripts'

/** Names the dev guest's initramfs and the host agree on. */

/** Seconds the service gets between SIGINT (power button) and the forced power-off. */
export const DEFAULT_GRACE_SECONDS = DEFAULT_GUEST_GRACE_SECONDS
/** Kernel command-line parameter that overrides the grace period. */
export const GRACE_PARAMETER = 'bpvm.grace'

/**
 * Kernel modules the guest needs; everything they depend on is added from modules.dep.
 * virtio disks and NIC, FAT (with the code page and charset the init mounts it with) for
 * CIDATA and the service disk, ext4 (which also mounts the ext2 data disk), the ACPI power button,
 * virtio vsock, the service's way to its manager's bridge, and the virtio console (hvc0: the
 * interactive shell, apart from the serial log).
 */
export const MODULE_ROOTS = [
  'virtio_pci',
  'virtio_blk',
  'virtio_net',
  'vfat',
  'nls_cp437',
  'nls_utf8',
  'ext4',
  'button',
  'evdev',
  'vmw_vsock_virtio_transport',
  'virtio_console'
] as const

/** busybox --install puts its applets in these. */
export const GUEST_PATH = '/bin:/sbin:/usr/bin:/usr/sbin'
export const GUEST_RUN_DIR = '/run/bpvm'
export const GUEST_PID_FILE = `${GUEST_RUN_DIR}/service.pid`
export const GUEST_GRACE_FILE = `${GUEST_RUN_DIR}/grace`
/** Made by the power-button handler: the init must not start the service any more. */
export const GUEST_STOP_FILE = `${GUEST_RUN_DIR}/stop-requested`
export const GUEST_CIDATA_MOUNT = `${GUEST_RUN_DIR}/cidata`
/** One module name a line, in load order; files are `<dir>/<name>.ko`. */
export const GUEST_MODULE_LIST = '/etc/bpvm/modules'
export const GUEST_MODULE_DIR = '/lib/modules'
export const GUEST_LIB_DIR = '/lib/bpvm'
export const GUEST_POWER_OFF = `${GUEST_LIB_DIR}/power-off`
export const GUEST_YAML_AWK = `${GUEST_LIB_DIR}/yaml-flat.awk`
export const GUEST_NETWORK_AWK = `${GUEST_LIB_DIR}/network-plan.awk`
/** The bridge relay (socat, its libraries and their loader), in the relay initramfs only. */
export const GUEST_RELAY_DIR = `${GUEST_LIB_DIR}/relay`
export const RELAY_LOADER = 'ld-linux-x86-64.so.2'
export const RELAY_PROGRAM = 'socat'
/** busybox acpid runs `<conf dir>/<event>`; QEMU's system_powerdown arrives as this event. */
export const GUEST_ACPI_DIR = '/etc/acpi'
export const POWER_BUTTON_EVENT = 'PWRF/00000080'

/** The kernel command line for the dev guest: serial console, and a panic ends the VM instead of hanging it. */
export function devGuestCmdline(graceSeconds: number = DEFAULT_GRACE_SECONDS): string {
  if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0) throw invalidInput('grace', 'must be a whole number of seconds')
  // no_timer_check: under software emulation on a busy host the kernel's IO-APIC timer test can
  // fail and panic the boot; the check proves nothing about a virtual machine's timer.
  // cryptomgr.notests: the kernel's self-tests of its own crypto algorithms, which the dev guest
  // does not use (the service's crypto is its own), take 0.3–0.5 s of every boot under TCG.
  return `console=ttyS0 panic=-1 quiet no_timer_check cryptomgr.notests ${GRACE_PARAMETER}=${graceSeconds}`
}
