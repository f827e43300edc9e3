import { rm } from 'node:fs/promises'
import { startConsoleHub, stopConsoleHub } from '../console/consoleProcess'
import { isProcessAlive, type ProcessIdentity } from '../state/processIdentity'
import type { VmmKind } from '../vmm/vmmDriver'
import { checkSocketPath, type VmSpec } from '../vmm/vmSpec'
import type { InstancePaths, InstanceRecord } from './instanceRecord'
import type { UndoStack } from './undoStack'

/**
 * The interactive console of an instance's VM, apart from its serial log (which stays a file,
 * written whether or not anyone looks): a virtio console on a socket, and for QEMU a second port
 * that carries the viewer's window size. Refused before anything is made when a path is too long.
 */
export function instanceConsoleSpec(paths: InstancePaths, vmm: VmmKind): NonNullable<VmSpec['console']> {
  checkSocketPath('console socket', paths.consoleSocket)
  checkSocketPath('console hub socket', paths.consoleHubSocket)
  if (vmm !== 'qemu') return { socket: paths.consoleSocket }
  checkSocketPath('console size socket', paths.consoleSizeSocket)
  return { socket: paths.consoleSocket, sizeSocket: paths.consoleSizeSocket }
}

/** Starts the hub that shares the console among viewers, once the VMM listens on its socket. */
export async function startInstanceConsole(paths: InstancePaths, undo: UndoStack): Promise<Required<ProcessIdentity>> {
  const hub = await startConsoleHub(paths.state, paths.consoleHubSocket, paths.consoleHubLog)
  undo.push('console hub', () => stopConsoleHub(hub.identity))
  return hub.identity
}

/** Stops the hub if it is still there (it ends by itself with the VM's console) and removes the sockets. */
export async function stopInstanceConsole(record: InstanceRecord, paths: InstancePaths): Promise<void> {
  const hub = record.console?.process
  if (hub && (await isProcessAlive(hub))) await stopConsoleHub(hub)
  await Promise.all([paths.consoleHubSocket, paths.consoleSocket, paths.consoleSizeSocket].map((path) => rm(path, { force: true })))
}
