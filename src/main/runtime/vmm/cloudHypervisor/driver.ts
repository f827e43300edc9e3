import type { RunningVm, VmmDriver, VmmFiles } from '../vmmDriver'
import { explainVmmExit, VmmProcess } from '../vmmProcess'
import { checkVmSpec, type VmSpec } from '../vmSpec'
import { CloudHypervisorApi, DEFAULT_API_TIMEOUTS, type ChApiTimeouts } from './apiClient'
import { isApiError } from './apiErrors'
import type { ChVmConfig } from './apiTypes'
import { attachCloudHypervisor } from './attachedVm'
import { CloudHypervisorVm } from './runningVm'
import { vmConfigFor } from './vmConfig'
import { clearStaleVsockSockets } from './vsockSockets'

export interface CloudHypervisorOptions {
  /** The VMM program; tests run a stand-in server. */
  program?: string
  /** Arguments before `--api-socket`, e.g. a script for `node`. */
  argsPrefix?: string[]
  timeouts?: Partial<ChApiTimeouts>
  /** How long the VMM has to answer vmm.ping after it is started. */
  readyTimeoutMs?: number
  /** After a failed launch: SIGTERM, then SIGKILL once this has passed. */
  killGraceMs?: number
  /** How long RunningVm.shutdown() waits for the process to exit before killing it. */
  shutdownTimeoutMs?: number
}

type Settings = Required<Omit<CloudHypervisorOptions, 'timeouts'>> & { timeouts: ChApiTimeouts }

/** Runs each VM in its own `cloud-hypervisor` process, driven over its REST API. */
export function cloudHypervisorDriver(options: CloudHypervisorOptions | string = {}): VmmDriver {
  const given = typeof options === 'string' ? { program: options } : options
  const settings: Settings = {
    program: given.program ?? 'cloud-hypervisor',
    argsPrefix: given.argsPrefix ?? [],
    timeouts: { ...DEFAULT_API_TIMEOUTS, ...given.timeouts },
    readyTimeoutMs: given.readyTimeoutMs ?? 10_000,
    killGraceMs: given.killGraceMs ?? 5_000,
    shutdownTimeoutMs: given.shutdownTimeoutMs ?? 15_000
  }
  return { kind: 'cloud-hypervisor', launch: (spec, files) => launch(settings, spec, files), attach: attachCloudHypervisor }
}

async function launch(settings: Settings, spec: VmSpec, files: VmmFiles): Promise<RunningVm> {
  const config = vmConfigFor(checkVmSpec(spec))
  if (spec.vsock) await clearStaleVsockSockets(spec.vsock.socket)
  const api = new CloudHypervisorApi(files.socketPath, settings.timeouts)
  let vmm: VmmProcess
  try {
    vmm = await VmmProcess.start({
      program: settings.program,
      args: [...settings.argsPrefix, '--api-socket', `path=${files.socketPath}`],
      stdoutPath: files.stdoutPath,
      stderrPath: files.stderrPath,
      socketPath: files.socketPath,
      isReady: async () => (await api.ping(), true),
      readyTimeoutMs: settings.readyTimeoutMs
    })
  } catch (error) {
    await api.close()
    throw error
  }
  try {
    await api.createVm(config)
    await bootVm(api, config)
  } catch (error) {
    const failure = await explain(error, vmm, settings.program, files.stderrPath)
    // Nothing of a failed launch stays running (a VMM left behind holds the taps and disk locks).
    await vmm.stop(settings.killGraceMs)
    await api.close()
    throw failure
  }
  return new CloudHypervisorVm(api, vmm, { shutdownTimeoutMs: settings.shutdownTimeoutMs })
}

/**
 * A failed boot can keep its VM object, and every later vm.boot then fails with "VM is already
 * created": vm.delete clears it, and the VM is created and booted once more. Only an answered
 * failure is retried; after a timeout the VMM is still busy and is stopped instead.
 */
async function bootVm(api: CloudHypervisorApi, config: ChVmConfig): Promise<void> {
  try {
    await api.bootVm()
  } catch (error) {
    if (!isApiError(error, 'CH_API_ERROR')) throw error
    await api.deleteVm()
    await api.createVm(config)
    await api.bootVm()
  }
}

/** When the VMM died mid-request, its own last words say more than a closed socket. */
async function explain(error: unknown, vmm: VmmProcess, program: string, stderrPath: string): Promise<unknown> {
  if (!isApiError(error, 'CH_API_UNREACHABLE')) return error
  return explainVmmExit(error, vmm, { program, stderrPath, during: 'while the VM was being created or booted', details: { endpoint: error.details?.endpoint } })
}
