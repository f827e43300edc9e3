import { QmpClient } from '../vmm/qemu/qmpClient'
import { vmStateOf } from '../vmm/qemu/qemuVm'
import type { VmState } from '../vmm/vmmDriver'

/**
 * QMP for a VM this process did not launch (a later CLI command, the app after a restart):
 * one short session per request, since QEMU serves one QMP client at a time.
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

/** QEMU's view of the VM, or `unknown` when it does not answer. */
export async function qemuState(socket: string): Promise<VmState> {
  try {
    return await withQmp(socket, async (qmp) => vmStateOf((await qmp.queryStatus()).status))
  } catch {
    return 'unknown'
  }
}

/** The ACPI power button; false when QEMU could not be reached. */
export async function qemuPowerButton(socket: string): Promise<boolean> {
  try {
    await withQmp(socket, (qmp) => qmp.systemPowerdown())
    return true
  } catch {
    return false
  }
}
