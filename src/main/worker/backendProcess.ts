import { API_ERROR_CODES, type BackendStatus, type ChannelName, type ChannelRequest, type ChannelResponse } from '../../shared/api'
import { fail, type ErrorInfo, type Result } from '../../shared/result'
import type { ApiBackend } from '../../service/apiBackend'
import { answerOf } from '../../service/channelHandler'
import { callDeadlineMs } from './callDeadlines'
import { createEventHub } from '../../service/eventHub'
import { describeWorkerExit, type WorkerExit } from './workerExit'
import type { FromWorker, ToWorker } from '../../worker/workerProtocol'

export { nodeWorkerSpawner } from './nodeWorkerSpawner'
export type { WorkerExit } from './workerExit'

/** One running worker, however it was started (Electron utilityProcess, Node child process). */
export interface WorkerChild {
  send(message: ToWorker): void
  onMessage(listener: (m: FromWorker) => void): void
  onExit(listener: (exit: WorkerExit) => void): void
  kill(): void
}

export type SpawnWorker = () => WorkerChild

export interface BackendProcessOptions {
  /** Pause before a worker that died is started again; default 1 s. */
  restartDelayMs?: number
  /** More exits than this within `restartWindowMs` and it is given up as failed; default 5. */
  maxRestarts?: number
  /** Default 60 s. */
  restartWindowMs?: number
  /** How long a call waits for a (re)starting worker before BACKEND_UNAVAILABLE; default 30 s. */
  readyTimeoutMs?: number
  /** How long `close` waits for the worker to stop by itself before killing it; default 10 s. */
  closeTimeoutMs?: number
  /**
   * How long one call may wait for its answer before it fails with BACKEND_UNAVAILABLE; default
   * per channel (`callDeadlineMs`). A worker can lose a call without dying (an Electron utility
   * process only warns on an unhandled rejection), and a caller must never wait forever.
   */
  callDeadlineMs?: (channel: string, request: unknown) => number
}

const unavailable = (message: string): Result<never> => fail({ code: API_ERROR_CODES.backendUnavailable, message })

/**
 * The runtime, run in a worker process and supervised: calls go to it with ids and come back as
 * results; events come back as they happen. A worker that dies is started again (its reconcile
 * re-attaches the VMs, which outlive it); the calls it had in flight fail with BACKEND_RESTARTED,
 * and calls made meanwhile wait for it. Each change of state is a `backend:status` event, and a
 * new listener hears the current state at once.
 */
export function createBackendProcess(spawn: SpawnWorker, options: BackendProcessOptions = {}): ApiBackend {
  const { restartDelayMs = 1_000, maxRestarts = 5, restartWindowMs = 60_000, readyTimeoutMs = 30_000, closeTimeoutMs = 10_000 } = options
  const deadlineOf = options.callDeadlineMs ?? callDeadlineMs
  const events = createEventHub()
  const pending = new Map<number, (result: Result<unknown>) => void>()
  const readyWaiters = new Set<(ready: boolean) => void>()
  let status: BackendStatus = { state: 'starting', restarts: 0 }
  let child: WorkerChild | undefined
  let nextId = 1
  let exits: number[] = []
  let restartTimer: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined
  let onClosedExit: (() => void) | undefined

  function setStatus(next: BackendStatus): void {
    status = next
    events.emit('backend:status', next)
  }

  function wakeWaiters(ready: boolean): void {
    for (const waiter of [...readyWaiters]) waiter(ready)
    readyWaiters.clear()
  }

  function failPending(error: ErrorInfo): void {
    for (const resolve of pending.values()) resolve(fail(error))
    pending.clear()
  }

  function start(): void {
    let current: WorkerChild
    try {
      current = spawn()
    } catch (error) {
      return exited(`could not be started: ${error instanceof Error ? error.message : String(error)}`)
    }
    child = current
    current.onMessage((message) => {
      if (child === current) received(message)
    })
    current.onExit((exit) => {
      if (child === current) exited(describeWorkerExit(exit))
    })
  }

  function received(message: FromWorker): void {
    if (message.type === 'ready') {
      setStatus({ state: 'ready', restarts: status.restarts })
      wakeWaiters(true)
    } else if (message.type === 'result') {
      pending.get(message.id)?.(message.result)
      pending.delete(message.id)
    } else if (message.type === 'event') {
      events.emit(message.event, message.payload)
    }
  }

  function exited(how: string): void {
    child = undefined
    if (closing) {
      onClosedExit?.()
      return
    }
    const now = Date.now()
    exits = [...exits.filter((at) => now - at < restartWindowMs), now]
    const message = `the runtime worker ${how}`
    if (exits.length > maxRestarts) {
      failPending({ code: API_ERROR_CODES.backendUnavailable, message })
      setStatus({ state: 'failed', message: `${message}; it stopped ${exits.length} times within ${restartWindowMs / 1000} s, so it is not restarted again`, restarts: status.restarts })
      wakeWaiters(false)
      return
    }
    failPending({ code: API_ERROR_CODES.backendRestarted, message: `${message} while this call was running; it is being restarted` })
    setStatus({ state: 'restarting', message, restarts: status.restarts + 1 })
    restartTimer = setTimeout(start, restartDelayMs)
  }

  function whenReady(): Promise<Result<WorkerChild>> {
    if (closing) return Promise.resolve(unavailable('the runtime worker has been shut down'))
    if (status.state === 'failed') return Promise.resolve(unavailable(status.message ?? 'the runtime worker failed'))
    if (status.state === 'ready' && child) return Promise.resolve({ ok: true, value: child })
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        readyWaiters.delete(waiter)
        resolve(unavailable(`the runtime worker did not become ready within ${readyTimeoutMs / 1000} s`))
      }, readyTimeoutMs)
      const waiter = (ready: boolean): void => {
        clearTimeout(timer)
        resolve(ready && child ? { ok: true, value: child } : unavailable(status.message ?? 'the runtime worker is not available'))
      }
      readyWaiters.add(waiter)
    })
  }

  async function close(): Promise<void> {
    clearTimeout(restartTimer)
    wakeWaiters(false)
    const current = child
    if (current) await stopChild(current)
    failPending({ code: API_ERROR_CODES.backendUnavailable, message: 'the runtime worker was shut down' })
  }

  /** Asks the worker to stop, which lets it cancel its tasks; kills it if it does not. */
  async function stopChild(current: WorkerChild): Promise<void> {
    const gone = new Promise<void>((resolve) => (onClosedExit = resolve))
    try {
      current.send({ type: 'shutdown' })
    } catch {
      current.kill()
    }
    if (await settlesWithin(gone, closeTimeoutMs)) return
    current.kill()
    await settlesWithin(gone, 2_000)
  }

  start()

  return {
    async call<C extends ChannelName>(channel: C, request: ChannelRequest<C>): Promise<Result<ChannelResponse<C>>> {
      const target = await whenReady()
      if (!target.ok) return target
      const id = nextId++
      const deadline = deadlineOf(channel, request)
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          resolve(fail({ code: API_ERROR_CODES.backendUnavailable, message: `the runtime worker did not answer ${channel} within ${deadline / 1000} s`, details: { channel, deadlineMs: deadline } }))
        }, deadline)
        pending.set(id, (result) => {
          clearTimeout(timer)
          resolve(answerOf<C>(result))
        })
        try {
          target.value.send({ type: 'call', id, channel, request })
        } catch (error) {
          clearTimeout(timer)
          pending.delete(id)
          resolve(unavailable(`could not reach the runtime worker: ${error instanceof Error ? error.message : String(error)}`))
        }
      })
    },
    onEvent(listener) {
      const stop = events.on(listener)
      listener('backend:status', status)
      return stop
    },
    close() {
      closing ??= close()
      return closing
    }
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const settled = await Promise.race([promise.then(() => true), timeout])
  clearTimeout(timer)
  return settled
}
