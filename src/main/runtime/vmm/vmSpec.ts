import { BpvmError, invalidInput } from '../../../shared/errors'

/**
 * Everything a VMM needs to run one VM, built once from the instance and then mapped by each
 * driver (cloud-hypervisor's VmConfig, QEMU's command line). Paths are absolute.
 */
export interface VmSpec {
  /** Instance name, for messages. */
  name: string
  /** VM id; the TAP is `tap-tngl-<id>` and the vsock CID is id + 3. */
  id: number
  memoryBytes: number
  vcpus: number
  kernel: string
  initramfs?: string
  cmdline: string
  /** In the reference's order: root, cloud-init, data, service (the guest sees vda, vdb, vdc, vdd). */
  disks: VmDisk[]
  /** Serial console to a file the host follows, or a PTY: the guest's log, never typed into. */
  serial: { mode: 'file'; path: string } | { mode: 'pty' }
  /**
   * The interactive console, apart from the serial log: a virtio console (the guest's hvc0) on
   * a Unix socket the VMM listens on, and, where the VMM has a second port for it (QEMU), a
   * virtio serial port named CONSOLE_SIZE_PORT that carries the viewer's window size.
   */
  console?: { socket: string; sizeSocket?: string }
  /**
   * The guest's vsock device: `socket` is where guest-initiated connections to port P arrive
   * (`<socket>_P`). With `vhostUser` (QEMU), the device is served by a vhost-user daemon
   * listening on that socket instead of the host kernel.
   */
  vsock?: { cid: number; socket: string; vhostUser?: string }
  nic?: VmNic
  /** Per-instance directory for the VMM's control socket. */
  runDir: string
}

export type DiskRole = 'root' | 'cidata' | 'data' | 'service'

export interface VmDisk {
  role: DiskRole
  path: string
  readonly: boolean
  format: 'raw' | 'qcow2'
  /** A qcow2 overlay on a base image (cloud-hypervisor must be told to follow backing files). */
  hasBackingFile?: boolean
}

export interface VmNic {
  tap: string
  /** Host side of the TAP: the guest's gateway. */
  hostAddress: string
  prefix: number
  /** The guest NIC's MAC; the cloud-init network config matches the NIC by it. */
  mac: string
}

/** The guest's name for the virtio serial port that carries the console's window size (QEMU; see the dev guest's init). */
export const CONSOLE_SIZE_PORT = 'org.bpvm.console-size'

/** Linux's sun_path holds 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107
/** cloud-hypervisor listens for guest-initiated vsock connections on `<socket>_<port>`; ports are u32. */
const VSOCK_PORT_SUFFIX_BYTES = '_4294967295'.length

/** The guest CID of VM `id`: 0–2 are reserved (hypervisor, loopback, host). */
export const vsockCid = (id: number): number => id + 3

/** A MAC in the locally administered 52:54:00 range, derived from the VM id so it is stable across boots. */
export function guestMac(id: number): string {
  const bytes = [0x52, 0x54, 0x00, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}

/** Dotted netmask of a prefix length, as cloud-hypervisor's NetConfig wants it. */
export function prefixToMask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffff_ffff << (32 - prefix)) >>> 0
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.')
}

/** Refuses a spec no VMM could run, before any process is started. */
export function checkVmSpec(spec: VmSpec): VmSpec {
  if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1 || spec.vcpus > 254) throw invalidInput('vcpus', `must be from 1 to 254, got ${spec.vcpus}`)
  if (!Number.isInteger(spec.memoryBytes) || spec.memoryBytes < 128 * 1024 * 1024) throw invalidInput('memory', 'must be at least 128 MiB')
  if (spec.memoryBytes % (1024 * 1024) !== 0) throw invalidInput('memory', 'must be a whole number of MiB')
  if (spec.vsock) checkSocketPath('vsock socket', spec.vsock.socket, VSOCK_PORT_SUFFIX_BYTES)
  return spec
}

/** A Unix socket path must fit sun_path, with room for any suffix the VMM appends. */
export function checkSocketPath(what: string, path: string, suffixBytes = 0): void {
  const bytes = Buffer.byteLength(path) + suffixBytes
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new BpvmError(
      'SOCKET_PATH_TOO_LONG',
      `${what}: ${path} is ${bytes} bytes${suffixBytes ? ' with its port suffix' : ''}; Unix socket paths hold at most ${MAX_SOCKET_PATH_BYTES} (move BPVM_HOME to a shorter path)`,
      { path }
    )
  }
}
