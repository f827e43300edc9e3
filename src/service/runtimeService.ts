import { API_ERROR_CODES, type ChannelName, type ChannelRequest, type ChannelResponse } from '../shared/api'
import { validateCall } from '../shared/api/validate'
import { fail, ok, type Result } from '../shared/result'
import { toErrorInfo } from '../shared/errors'
import { reconcileQuietly, type ReconcilePolicy } from './reconcilePolicy'
import type { ApiBackend } from './apiBackend'
import { answerOf } from './channelHandler'
import { createEventHub } from './eventHub'
import { listInstanceSummaries } from './instanceSummaries'
import { createInstanceWatcher } from './instanceWatcher'
import { watchDeadInstances } from './deadInstanceWatch'
import { createConsoleSessions } from './consoleSessions'
import { createLogSubscriptions } from './logSubscriptions'
import { handlerGaps, runtimeHandlers } from './runtimeHandlers'
import { createTaskRegistry } from './taskRegistry'
import { startRelaunch } from './launchTasks'
import { createRelaunchWatch, type RelaunchWatchOptions } from './relaunchWatch'

// Long enough for a cancelled launch to undo its steps; short enough not to hold up quitting.
const CLOSE_TASKS_MS = 5_000

/**
 * The runtime behind the API, in this process: every channel of the contract, answered with
 * error envelopes, never thrown errors. Events (task progress, the instance list while anyone
 * listens, followed logs) go to `onEvent` listeners.
 */
export interface RuntimeServiceOptions {
  /** When records and host are brought back in line (see ReconcilePolicy); default `watch`. */
  reconcile?: ReconcilePolicy
  /** How often dead VMMs are looked for under `watch`; default 2 s. */
  deadVmIntervalMs?: number
  /**
   * Whose binary and keystore this service watches, to relaunch them on change: every instance
   * whose watch is on (the app, `bpvm serve`), one (`bpvm launch --watch`), or none. Default:
   * `all` under the `watch` reconcile policy, else `off`.
   */
  watchFiles?: 'all' | 'off' | { only: string }
  /** The watch's timing (tests). */
  watchTiming?: Pick<RelaunchWatchOptions, 'pollMs' | 'settleMs' | 'scanMs'>
}

export function createRuntimeService({ reconcile: policy = 'watch', deadVmIntervalMs, watchFiles, watchTiming }: RuntimeServiceOptions = {}): ApiBackend {
  const events = createEventHub((listening) => (listening ? watcher.start() : watcher.stop()))
  // The list as the calls answer it, with this process's relaunch watches (made below).
  const watcher = createInstanceWatcher({ read: () => listInstanceSummaries(files), emit: (list) => events.emit('instances:changed', list) })
  const tasks = createTaskRegistry({ onChange: (task) => events.emit('tasks:progress', task) })
  const logs = createLogSubscriptions((chunk) => events.emit('logs:chunk', chunk))
  const consoles = createConsoleSessions({ output: (event) => events.emit('console:output', event), ended: (event) => events.emit('console:ended', event) })
  const beforeChange = policy === 'before-changes' ? reconcileQuietly : async () => undefined
  const watchMode = watchFiles ?? (policy === 'watch' ? 'all' : 'off')
  // What a launch tells, the same for a call's launch and the watch's relaunch.
  const launchParts = { tasks, beforeChange, changed: () => void watcher.refresh(), saved: () => files?.refresh() }
  const files =
    watchMode === 'off'
      ? undefined
      : createRelaunchWatch({
          relaunch: (name) => startRelaunch({ name }, launchParts),
          onChange: () => void watcher.refresh(),
          ...(watchMode === 'all' ? {} : { only: watchMode.only }),
          ...watchTiming
        })
  const handlers = runtimeHandlers({ ...launchParts, watcher, logs, consoles, ...(files ? { files } : {}) })
  const gaps = handlerGaps(handlers)
  if (gaps.missing.length > 0 || gaps.unknown.length > 0) {
    throw new Error(`the runtime service does not match the API: missing ${gaps.missing.join(', ') || 'none'}, unknown ${gaps.unknown.join(', ') || 'none'}`)
  }
  // Calls wait for it, so nobody sees a VM as running that died while no bpvm process watched.
  const tend = policy === 'watch'
  const reconciled = tend ? reconcileQuietly() : Promise.resolve()
  // Nothing the app shows as ended still holds its network.
  const deadVms = tend ? reconciled.then(() => watchDeadInstances({ ...(deadVmIntervalMs ? { intervalMs: deadVmIntervalMs } : {}), onEnded: () => void watcher.refresh() })) : undefined
  let closed = false

  return {
    async call<C extends ChannelName>(channel: C, request: ChannelRequest<C>): Promise<Result<ChannelResponse<C>>> {
      // Checked again here: whatever the transport did, a malformed request never reaches the runtime.
      const checked = validateCall(channel, request)
      if (!checked.ok) return checked
      if (closed) return fail({ code: API_ERROR_CODES.backendUnavailable, message: 'the runtime service has been closed' })
      // Every channel has one: checked when the service was made.
      const handler = handlers.get(checked.value.channel)!
      await reconciled
      try {
        return answerOf<C>(ok(await handler(checked.value.request)))
      } catch (error) {
        const info = toErrorInfo(error)
        // The caller gets the message only; the stack of an unexpected failure stays in this process's log.
        if (info.code === API_ERROR_CODES.internal) console.error(`${checked.value.channel} failed`, error)
        return fail(info)
      }
    },
    onEvent: (listener) => events.on(listener),
    async close() {
      closed = true
      watcher.stop()
      consoles.close()
      await files?.close()
      await (await deadVms)?.stop()
      await Promise.all([logs.close(), tasks.close(CLOSE_TASKS_MS)])
    }
  }
}
