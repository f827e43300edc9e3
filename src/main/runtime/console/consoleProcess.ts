import { nodeEntryCommand } from '../nodeEntry'
import type { ProcessIdentity } from '../state/processIdentity'
import { socketAnswers } from '../vmm/staleSocket'
import { HELPER_READY_TIMEOUT_MS, VmmProcess, stopDetachedVmm } from '../vmm/vmmProcess'

/** How to run the hub with this Node; the instance's state directory is its one argument. */
export function consoleHubCommand(dir: string): { program: string; args: string[]; env: Record<string, string> } {
  return nodeEntryCommand(import.meta.url, { built: 'consoleHub', source: 'consoleHubMain' }, ['--dir', dir])
}

/** Starts an instance's console hub, detached; returns once it answers on its socket. */
export async function startConsoleHub(dir: string, hubSocket: string, logPath: string): Promise<VmmProcess> {
  return VmmProcess.start({
    ...consoleHubCommand(dir),
    stdoutPath: logPath,
    stderrPath: logPath,
    socketPath: hubSocket,
    isReady: () => socketAnswers(hubSocket),
    readyTimeoutMs: HELPER_READY_TIMEOUT_MS
  })
}

/** Stops a hub that is still there (it also ends by itself when its VM's console closes). */
export async function stopConsoleHub(identity: Required<ProcessIdentity>): Promise<void> {
  await stopDetachedVmm(identity, 2_000)
}
