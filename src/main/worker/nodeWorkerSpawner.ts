import { spawn } from 'node:child_process'
import { backendEntry } from './backendEntry'
import type { SpawnWorker } from './backendProcess'
import type { WorkerExit } from './workerExit'
import type { FromWorker } from '../../worker/workerProtocol'

export interface NodeWorkerOptions {
  /** A command the worker runs under, e.g. `ip netns exec <ns>`; it must exec the node command line it is given. */
  wrapper?: readonly string[]
  /** Variables to set or override for the worker. */
  env?: Record<string, string>
}

/**
 * Starts the backend worker as a Node child with an IPC channel (as `child_process.fork` does),
 * from the bundle or from source. Its output goes where this process's goes.
 */
export function nodeWorkerSpawner(options: NodeWorkerOptions = {}): SpawnWorker {
  return () => {
    const entry = backendEntry()
    const [program = process.execPath, ...args] = [...(options.wrapper ?? []), process.execPath, ...entry.execArgv, entry.script]
    const child = spawn(program, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      // A process group of its own: Ctrl-C in the terminal reaches the server, which shuts the
      // worker down in order (cancelled launches undo themselves), instead of killing it mid-step.
      // It still ends with its parent: the IPC channel closing makes it exit.
      detached: true,
      // Inside Electron, its binary is a plain Node only when told so.
      env: { ...process.env, ...options.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) }
    })
    const exitListeners: Array<(exit: WorkerExit) => void> = []
    let exited = false
    const exit = (how: WorkerExit): void => {
      if (exited) return
      exited = true
      for (const listener of exitListeners) listener(how)
    }
    child.on('exit', (code, signal) => exit({ code, signal }))
    // A child that could not be started gets no 'exit'; a send on a closed channel lands here too.
    child.on('error', () => {
      if (child.pid === undefined) exit({ code: null })
    })
    return {
      send: (message) => void child.send(message),
      onMessage: (listener) => void child.on('message', (message) => listener(message as FromWorker)),
      onExit: (listener) => void exitListeners.push(listener),
      kill: () => void child.kill('SIGKILL')
    }
  }
}
