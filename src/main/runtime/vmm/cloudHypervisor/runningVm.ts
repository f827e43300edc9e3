import type { RunningVm, VmState } from '../vmmDriver'
import { exitsWithin, type VmmProcess } from '../vmmProcess'
import type { CloudHypervisorApi } from './apiClient'
import { isApiError } from './apiErrors'
import type { VmInfo } from './apiTypes'

const STATES: Readonly<Record<VmInfo['state'], VmState>> = {
  Created: 'created',
  Running: 'running',
  Paused: 'paused',
  // Not reported in practice (the VM object is dropped on shutdown); the config is still there.
  Shutdown: 'created',
  BreakPoint: 'paused'
}

/** Our name for the state vm.info reports. */
export const vmStateOfCh = (state: VmInfo['state']): VmState => STATES[state]

/** After a guest power-off the API socket closes a moment before the process has exited. */
const EXIT_RACE_MS = 1_000

export interface StopTimings {
  /** How long shutdown() waits for the process to exit before killing it. */
  shutdownTimeoutMs: number
}

/** A booted VM in its own cloud-hypervisor process; the process ending is the VM ending. */
export class CloudHypervisorVm implements RunningVm {
  readonly kind = 'cloud-hypervisor' as const

  constructor(
    readonly api: CloudHypervisorApi,
    readonly process: VmmProcess,
    private readonly timings: StopTimings
  ) {
    // Nothing can be asked of a VMM that has exited.
    void process.exited.then(() => api.close())
  }

  async state(): Promise<VmState> {
    if (!this.process.isRunning()) return 'stopped'
    try {
      return vmStateOfCh((await this.api.info()).state)
    } catch (error) {
      // An answer without a VM (404 or 500, by version) is not a stop: the VMM still runs.
      if (isApiError(error, 'CH_API_ERROR')) return 'unknown'
      return (await exitsWithin(this.process, EXIT_RACE_MS)) ? 'stopped' : 'unknown'
    }
  }

  /** Quiet when the VMM has already exited: the guest is off, which is what was asked. */
  async powerButton(): Promise<void> {
    if (!this.process.isRunning()) return
    try {
      await this.api.powerButton()
    } catch (error) {
      if (isApiError(error, 'CH_API_ERROR') || !(await exitsWithin(this.process, EXIT_RACE_MS))) throw error
    }
  }

  async shutdown(): Promise<void> {
    if (!this.process.isRunning()) return
    // The answer may be lost to the exit (EOF, ECONNRESET) and a failed vm_delete still ends the
    // process: whether it exits is what counts, not what the call returned.
    void this.api.shutdownVmm().catch(() => undefined)
    if (!(await exitsWithin(this.process, this.timings.shutdownTimeoutMs))) await this.process.kill()
  }

  async kill(): Promise<void> {
    await this.process.kill()
  }

  /** The API client holds no connection between requests; closing it leaves the VMM untouched. */
  detach(): void {
    void this.api.close()
  }
}
