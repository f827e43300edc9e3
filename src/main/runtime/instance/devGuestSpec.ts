import { join } from 'node:path'
import type { VmNic, VmSpec } from '../vmm/vmSpec'
import { INSTANCE_DISK_FILES } from './instanceDisks'

export interface DevGuestSpecInput {
  name: string
  id: number
  memoryBytes: number
  vcpus: number
  guest: { kernel: string; initramfs: string }
  cmdline: string
  /** Holds `cidata.img`, `data.qcow2` and `service.img`. */
  disksDir: string
  serialLog: string
  nic?: VmNic
  runDir: string
}

/** The VM spec of a dev guest outside an instance (the boot benchmark). Its root is the initramfs, so there is no root disk. */
export function devGuestVmSpec(input: DevGuestSpecInput): VmSpec {
  const disk = (name: string) => join(input.disksDir, name)
  return {
    name: input.name,
    id: input.id,
    memoryBytes: input.memoryBytes,
    vcpus: input.vcpus,
    kernel: input.guest.kernel,
    initramfs: input.guest.initramfs,
    cmdline: input.cmdline,
    disks: [
      { role: 'cidata', path: disk(INSTANCE_DISK_FILES.cidata), format: 'raw', readonly: true },
      { role: 'data', path: disk(INSTANCE_DISK_FILES.data), format: 'qcow2', readonly: false },
      { role: 'service', path: disk(INSTANCE_DISK_FILES.service), format: 'raw', readonly: true }
    ],
    serial: { mode: 'file', path: input.serialLog },
    ...(input.nic ? { nic: input.nic } : {}),
    runDir: input.runDir
  }
}
