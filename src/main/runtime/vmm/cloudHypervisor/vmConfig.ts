import { prefixToMask, type VmDisk, type VmSpec } from '../vmSpec'
import type { ChDiskConfig, ChVmConfig } from './apiTypes'

/**
 * The `vm.create` body for a spec. Every field is spelled out: the server ignores unknown or
 * misspelled fields silently and validates only at boot, so nothing is left to its defaults
 * that matters to us.
 */
export function vmConfigFor(spec: VmSpec): ChVmConfig {
  return {
    // The reference never applied vCPUs; we do, without hotplug headroom.
    cpus: { boot_vcpus: spec.vcpus, max_vcpus: spec.vcpus },
    // Shared memory is what vhost-user devices (virtio-fs) need; the reference sets it too.
    memory: { size: spec.memoryBytes, shared: true },
    payload: { kernel: spec.kernel, ...(spec.initramfs ? { initramfs: spec.initramfs } : {}), cmdline: spec.cmdline },
    disks: spec.disks.map(diskConfig),
    // A File or Socket serial without a path crashes the VMM: the path is always sent.
    serial: spec.serial.mode === 'file' ? { mode: 'File', file: spec.serial.path } : { mode: 'Pty' },
    // Its virtio console on a socket it listens on (the size port is QEMU's only).
    console: spec.console ? { mode: 'Socket', socket: spec.console.socket } : { mode: 'Off' },
    ...(spec.vsock ? { vsock: { cid: spec.vsock.cid, socket: spec.vsock.socket } } : {}),
    // ip and mask go together (one without the other fails at boot); since v49 there is no default.
    ...(spec.nic ? { net: [{ tap: spec.nic.tap, ip: spec.nic.hostAddress, mask: prefixToMask(spec.nic.prefix), mac: spec.nic.mac }] } : {})
  }
}

function diskConfig(disk: VmDisk): ChDiskConfig {
  // An explicit type disables autodetection (deprecated, and it turns backing files off for qcow2).
  if (disk.format === 'raw') return { path: disk.path, readonly: disk.readonly, direct: true, image_type: 'Raw' }
  return { path: disk.path, readonly: disk.readonly, direct: true, image_type: 'Qcow2', ...(disk.hasBackingFile ? { backing_files: true } : {}) }
}
