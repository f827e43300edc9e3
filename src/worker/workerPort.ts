import type { FromWorker, ToWorker } from './workerProtocol'

/** The worker's side of its channel to the parent, whichever way it was started. */
export interface WorkerPort {
  send(message: FromWorker): void
  onMessage(listener: (message: ToWorker) => void): void
  /** The parent went away without saying shutdown. */
  onParentGone(listener: () => void): void
}

/** What this file needs of Electron's `process.parentPort`, without importing Electron. */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

/**
 * An Electron utility process talks through `process.parentPort` (messages arrive as `{ data }`);
 * a `child_process.fork` child through `process.send` and `'message'`.
 */
export function workerPort(): WorkerPort {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as ToWorker)),
      // Electron ends a utility process together with the app that started it.
      onParentGone: () => undefined
    }
  }
  const send = process.send?.bind(process)
  if (!send) throw new Error('the bpvm backend worker must be started by bpvm, with an IPC channel (utilityProcess or child_process.fork)')
  return {
    send(message) {
      // A parent that went away cannot be answered; the worker hears 'disconnect' and shuts down.
      // With a callback, a write that fails for that reason is not an unhandled 'error' event.
      if (process.connected) send(message, undefined, {}, () => undefined)
    },
    onMessage: (listener) => void process.on('message', (message) => listener(message as ToWorker)),
    onParentGone: (listener) => void process.once('disconnect', listener)
  }
}
