import type { AttachedVm, AttachTarget } from '../vmmDriver'
import { attachedVmOf } from '../attachedVm'
import { CloudHypervisorApi } from './apiClient'
import { vmStateOfCh } from './runningVm'

/** Short: these answer `ls` and teardown for a VM another process launched. */
const QUICK = { quickMs: 2_000, slowMs: 5_000 }

async function withApi<T>(socket: string, work: (api: CloudHypervisorApi) => Promise<T>): Promise<T> {
  const api = new CloudHypervisorApi(socket, QUICK)
  try {
    return await work(api)
  } finally {
    await api.close()
  }
}

/** A cloud-hypervisor VM found again through its API socket. */
export function attachCloudHypervisor(target: AttachTarget): AttachedVm {
  return attachedVmOf('cloud-hypervisor', target, {
    state: () => withApi(target.socketPath, async (api) => vmStateOfCh((await api.info()).state)),
    powerButton: () => withApi(target.socketPath, (api) => api.powerButton())
  })
}
