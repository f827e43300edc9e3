import { join } from 'node:path'
import { utilityProcess } from 'electron'
import type { SpawnWorker, WorkerExit } from './worker/backendProcess'
import type { FromWorker, ToWorker } from '../worker/workerProtocol'

/** out/main/index.js → out/main/backend.js (every main entry is built flat into out/main/). */
export const backendWorkerPath = (): string => join(import.meta.dirname, 'backend.js')

/**
 * Runs the runtime in an Electron utility process: a Node child that Electron owns and reaps,
 * so a runtime crash cannot take the window down and the main process stays free for the UI.
 * Its output is piped rather than inherited so it lands in the main process's own log.
 */
export function utilityWorkerSpawner(modulePath = backendWorkerPath()): SpawnWorker {
  return () => {
    const child = utilityProcess.fork(modulePath, [], { serviceName: 'bpvm runtime', stdio: 'pipe' })
    // An unread pipe fills up and blocks the child's writes.
    child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk))
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk))
    // A V8 fatal error in the worker is an 'error' event here, and an 'error' nobody listens to
    // is an uncaught exception in the main process. Its 'exit' follows: that is what restarts it.
    let fatalError: string | undefined
    child.on('error', (type, location) => {
      fatalError = `${type} at ${location}`
      console.error(`the runtime worker hit a ${type} at ${location}`)
    })
    return {
      send: (message: ToWorker) => child.postMessage(message),
      onMessage: (listener: (message: FromWorker) => void) => {
        child.on('message', listener)
      },
      onExit: (listener: (exit: WorkerExit) => void) => {
        child.on('exit', (code) => listener({ code, fatalError }))
      },
      kill: () => {
        child.kill()
      }
    }
  }
}
