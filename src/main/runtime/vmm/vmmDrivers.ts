import { cloudHypervisorDriver, type CloudHypervisorOptions } from './cloudHypervisor/driver'
import { qemuDriver, type QemuDriverOptions } from './qemu/qemuDriver'
import type { AttachedVm, AttachTarget, VmmDriver, VmmKind } from './vmmDriver'

export interface DriverOptions {
  qemu?: QemuDriverOptions
  cloudHypervisor?: CloudHypervisorOptions
}

/** The one place a VMM kind picks its driver; everything else talks to a VmmDriver. */
export function vmmDriverFor(kind: VmmKind, options: DriverOptions = {}): VmmDriver {
  return kind === 'qemu' ? qemuDriver(options.qemu) : cloudHypervisorDriver(options.cloudHypervisor)
}

/** A VM another process launched, through its own VMM's driver. */
export function attachVm(kind: VmmKind, target: AttachTarget): AttachedVm {
  return vmmDriverFor(kind).attach(target)
}
