import { constants } from 'node:fs'
import { access, open } from 'node:fs/promises'
import { BpvmError } from '../../../../shared/errors'

/** What this host offers QEMU: hardware acceleration and the vhost-vsock device. */

export type Accel = 'kvm' | 'tcg'
export type AccelSetting = 'auto' | Accel

export interface AccelChoice {
  accel: Accel
  /** Why this one, for the launch log: `TCG: /dev/kvm cannot be opened (EACCES)`. */
  reason: string
}

export const KVM_DEVICE = '/dev/kvm'
export const VHOST_VSOCK_DEVICE = '/dev/vhost-vsock'

/**
 * `auto` takes KVM when its device opens read-write (what QEMU itself needs), else TCG;
 * `kvm` insists and fails with KVM_UNAVAILABLE; `tcg` never touches the device.
 */
export async function resolveAccel(setting: AccelSetting, kvmDevice = KVM_DEVICE): Promise<AccelChoice> {
  if (setting === 'tcg') return { accel: 'tcg', reason: 'TCG: chosen in the settings' }
  const problem = await openProblem(kvmDevice)
  if (problem === undefined) return { accel: 'kvm', reason: setting === 'kvm' ? 'KVM: chosen in the settings' : `KVM: ${kvmDevice} opens read-write` }
  if (setting === 'kvm') {
    throw new BpvmError('KVM_UNAVAILABLE', `KVM was chosen but ${kvmDevice} cannot be opened (${problem}); set the accelerator to auto or tcg`, {
      device: kvmDevice,
      problem
    })
  }
  return { accel: 'tcg', reason: `TCG: ${kvmDevice} cannot be opened (${problem}); guests run slowly without KVM` }
}

/** The errno code that keeps `path` from opening read-write, or undefined when it opens. */
async function openProblem(path: string): Promise<string | undefined> {
  try {
    const handle = await open(path, constants.O_RDWR)
    await handle.close()
    return undefined
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error)
  }
}

/** QEMU's vhost-vsock-pci needs this device (module vhost_vsock); without it the VM gets no vsock. */
export async function vhostVsockAvailable(device = VHOST_VSOCK_DEVICE): Promise<boolean> {
  return access(device, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false
  )
}
