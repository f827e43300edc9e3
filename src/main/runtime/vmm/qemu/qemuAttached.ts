import type { AttachedVm, AttachTarget } from '../vmmDriver'
import { attachedVmOf } from '../attachedVm'
import { vmStateOf } from './qemuVm'
import { QmpClient } from './qmpClient'

/**
 * QMP for a VM this process did not launch: one short session per request, since QEMU serves
 * one QMP client at a time.
 */
async function withQmp<T>(socket: string, work: (qmp: QmpClient) => Promise<T>, timeoutMs = 2_000): Promise<T> {
  const qmp = await QmpClient.connect(socket, timeoutMs)
  try {
    await qmp.capabilities()
    return await work(qmp)
  } finally {
    qmp.close()
  }
}

/** A QEMU VM found again through its QMP socket. */
export function attachQemu(target: AttachTarget): AttachedVm {
  return attachedVmOf('qemu', target, {
    state: () => withQmp(target.socketPath, async (qmp) => vmStateOf((await qmp.queryStatus()).status)),
    powerButton: () => withQmp(target.socketPath, (qmp) => qmp.systemPowerdown())
  })
}
