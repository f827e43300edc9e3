import { nodeEntryCommand } from '../nodeEntry'
import { socketAnswers } from '../vmm/staleSocket'
import { HELPER_READY_TIMEOUT_MS, VmmProcess, stopDetachedVmm } from '../vmm/vmmProcess'
import type { ProcessIdentity } from '../state/processIdentity'
import { bridgeFiles } from './bridgeFiles'

/** The bridge's entry: `bridge.js` beside the built code, or `bridgeMain.ts` run through tsx from source. */
const BRIDGE_ENTRY_NAME = 'bridge'

/**
 * How to run the bridge process with this Node (Electron's own, as plain Node, in the app). The
 * instance directory is its only argument, which is also how reconcile recognises a bridge.
 */
export function bridgeCommand(dir: string): { program: string; args: string[]; env: Record<string, string> } {
  return nodeEntryCommand(import.meta.url, { built: BRIDGE_ENTRY_NAME, source: 'bridgeMain' }, ['--dir', dir])
}

/** Whether a process's command line is a bridge's (any instance's): its entry, then `--dir`. */
export function isBridgeCommandLine(args: readonly string[]): { dir: string } | undefined {
  const at = args.indexOf('--dir')
  if (at < 1 || at + 1 >= args.length) return undefined
  const entry = args[at - 1] ?? ''
  return /[/\\](bridge\.js|bridgeMain\.ts)$/.test(entry) ? { dir: args[at + 1] ?? '' } : undefined
}

/**
 * Starts an instance's bridge, detached like its VMM so it outlives the app; returns once the
 * bridge answers on its own socket. Its log is `logPath` (stdout and stderr).
 */
export async function startBridge(dir: string, logPath: string): Promise<VmmProcess> {
  const command = bridgeCommand(dir)
  const socket = bridgeFiles(dir).socket
  return VmmProcess.start({
    ...command,
    stdoutPath: logPath,
    stderrPath: logPath,
    socketPath: socket,
    isReady: () => socketAnswers(socket),
    readyTimeoutMs: HELPER_READY_TIMEOUT_MS
  })
}

/** Stops a bridge (SIGTERM: it closes its listeners and removes its sockets), SIGKILL after the grace. */
export async function stopBridge(identity: Required<ProcessIdentity>): Promise<void> {
  await stopDetachedVmm(identity, 3_000)
}
