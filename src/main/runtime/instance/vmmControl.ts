import { CloudHypervisorApi } from '../vmm/cloudHypervisor/apiClient'
import { vmStateOfCh } from '../vmm/cloudHypervisor/runningVm'
import type { VmState, VmmKind } from '../vmm/vmmDriver'
import { qemuPowerButton, qemuState } from './qemuControl'

/** Short: these answer `ls` and teardown for a VM another process launched. */
const QUICK = { quickMs: 2_000, slowMs: 5_000 }

async function withChApi<T>(socket: string, work: (api: CloudHypervisorApi) => Promise<T>): Promise<T> {
  const api = new CloudHypervisorApi(socket, QUICK)
  try {
    return await work(api)
  } finally {
    await api.close()
  }
}

/** The VMM's view of a VM this process did not launch, or `unknown` when it does not answer. */
export async function detachedVmState(kind: VmmKind, socket: string): Promise<VmState> {
  if (kind === 'qemu') return qemuState(socket)
  try {
    return await withChApi(socket, async (api) => vmStateOfCh((await api.info()).state))
  } catch {
    return 'unknown'
  }
}

/** Presses the ACPI power button of a VM this process did not launch; false when the VMM could not be reached. */
export async function detachedPowerButton(kind: VmmKind, socket: string): Promise<boolean> {
  if (kind === 'qemu') return qemuPowerButton(socket)
  try {
    await withChApi(socket, (api) => api.powerButton())
    return true
  } catch {
    return false
  }
}
