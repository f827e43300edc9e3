import { isAbsolute } from 'node:path'
import { invalidInput } from '../../../../shared/errors'
import type { VmmFiles } from '../vmmDriver'
import { CONSOLE_SIZE_PORT, type VmDisk, type VmSpec } from '../vmSpec'
import type { Accel } from './qemuHost'

export interface QemuArgOptions {
  accel: Accel
  /** Whether the host has /dev/vhost-vsock; without it `spec.vsock` is left out. */
  vhostVsock?: boolean
  /**
   * `none` opens disks with O_DIRECT, as the reference's `direct: true` does; `writeback`
   * is for file systems without O_DIRECT (tmpfs).
   */
  diskCache?: 'none' | 'writeback'
}

/** The id QEMU gives the serial chardev; `query-chardev` reports the PTY under it. */
export const SERIAL_CHARDEV_ID = 'serial0'

/**
 * QEMU splits option values at commas and reads `,,` as a literal comma. Only values that go
 * through its option parser are escaped: `-kernel`, `-initrd` and `-append` are taken verbatim.
 */
export const qemuOptionValue = (value: string): string => value.replaceAll(',', ',,')

/**
 * The `qemu-system-x86_64` command line for one VM: no default devices, no config files, no
 * display; the guest's power-off or reboot ends the process.
 */
export function qemuArgsFor(spec: VmSpec, files: VmmFiles, options: QemuArgOptions): string[] {
  checkAbsolute(spec, files)
  return [
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-name',
    `guest=${qemuOptionValue(spec.name)}`,
    '-machine',
    spec.vsock?.vhostUser === undefined ? 'q35' : 'q35,memory-backend=mem',
    '-accel',
    options.accel,
    '-cpu',
    options.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(spec.memoryBytes / (1024 * 1024)),
    '-smp',
    String(spec.vcpus),
    '-kernel',
    spec.kernel,
    ...(spec.initramfs === undefined ? [] : ['-initrd', spec.initramfs]),
    '-append',
    spec.cmdline,
    ...spec.disks.flatMap((disk) => diskArgs(disk, options.diskCache ?? 'none')),
    ...serialArgs(spec.serial),
    ...consoleArgs(spec.console),
    ...nicArgs(spec),
    ...vsockArgs(spec, options),
    '-qmp',
    `unix:${qemuOptionValue(files.socketPath)},server=on,wait=off`,
    // A guest reboot ends the VM like a power-off, so a crash loop cannot go unnoticed.
    '-no-reboot'
  ]
}

/**
 * A vhost-user vsock device needs guest memory the daemon can map: a shared memfd backend.
 * Without a daemon, the kernel's vhost-vsock serves the device where the host has it.
 */
function vsockArgs(spec: VmSpec, options: QemuArgOptions): string[] {
  const vsock = spec.vsock
  if (!vsock) return []
  if (vsock.vhostUser !== undefined) {
    return [
      '-object',
      `memory-backend-memfd,id=mem,size=${spec.memoryBytes / (1024 * 1024)}M,share=on`,
      '-chardev',
      `socket,id=vsock0,path=${qemuOptionValue(vsock.vhostUser)}`,
      '-device',
      'vhost-user-vsock-pci,chardev=vsock0'
    ]
  }
  return options.vhostVsock ? ['-device', `vhost-vsock-pci,guest-cid=${vsock.cid}`] : []
}

function diskArgs(disk: VmDisk, cache: 'none' | 'writeback'): string[] {
  const id = `disk-${disk.role}`
  const drive = [
    `file=${qemuOptionValue(disk.path)}`,
    'if=none',
    `id=${id}`,
    `format=${disk.format}`,
    `readonly=${disk.readonly ? 'on' : 'off'}`,
    `cache=${cache}`
  ]
  // Devices are placed in command-line order, so the guest names them vda, vdb, … in the spec's order.
  return ['-drive', drive.join(','), '-device', `virtio-blk-pci,drive=${id},serial=${disk.role}`]
}

function serialArgs(serial: VmSpec['serial']): string[] {
  // Appending keeps earlier boots' output and lets the log be rotated while the VM runs.
  const chardev = serial.mode === 'file' ? `file,id=${SERIAL_CHARDEV_ID},path=${qemuOptionValue(serial.path)},append=on` : `pty,id=${SERIAL_CHARDEV_ID}`
  return ['-chardev', chardev, '-serial', `chardev:${SERIAL_CHARDEV_ID}`]
}

/**
 * The interactive console: a virtio console (hvc0, the first port of the virtio-serial bus) and
 * a second port for its size, each on a socket QEMU listens on without waiting for a client.
 */
function consoleArgs(console: VmSpec['console']): string[] {
  if (!console) return []
  const listen = (id: string, path: string): string[] => ['-chardev', `socket,id=${id},path=${qemuOptionValue(path)},server=on,wait=off`]
  return [
    '-device', 'virtio-serial-pci,id=vser0',
    ...listen('console0', console.socket),
    '-device', 'virtconsole,bus=vser0.0,chardev=console0,name=org.bpvm.console',
    ...(console.sizeSocket === undefined ? [] : [...listen('console1', console.sizeSocket), '-device', `virtserialport,bus=vser0.0,chardev=console1,name=${CONSOLE_SIZE_PORT}`])
  ]
}

function nicArgs(spec: VmSpec): string[] {
  if (!spec.nic) return []
  // The TAP is made (and addressed) beforehand; QEMU only opens it and runs no scripts. The
  // kernel is loaded directly, so the NIC's network-boot ROM would only cost boot time.
  return [
    '-netdev',
    `tap,id=net0,ifname=${qemuOptionValue(spec.nic.tap)},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=net0,mac=${spec.nic.mac},romfile=`
  ]
}

/** QEMU reads `nbd:`, `json:` and other prefixes of a relative file name as protocols: only absolute paths go in. */
function checkAbsolute(spec: VmSpec, files: VmmFiles): void {
  const paths: Array<[string, string | undefined]> = [
    ['kernel', spec.kernel],
    ['initramfs', spec.initramfs],
    ['serial', spec.serial.mode === 'file' ? spec.serial.path : undefined],
    ['socket', files.socketPath],
    ['vsock.vhostUser', spec.vsock?.vhostUser],
    ['console.socket', spec.console?.socket],
    ['console.sizeSocket', spec.console?.sizeSocket],
    ...spec.disks.map((d): [string, string] => [`disks.${d.role}`, d.path])
  ]
  for (const [field, path] of paths) if (path !== undefined && !isAbsolute(path)) throw invalidInput(field, `must be an absolute path, got ${path}`)
}
