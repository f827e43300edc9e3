import type { InstanceSummary } from '../shared/api'

export interface InstanceWatcherOptions {
  read(): Promise<InstanceSummary[]>
  /** The whole list, whenever anything in it differs from the list sent before. */
  emit(list: InstanceSummary[]): void
  /** Default 1 s. */
  intervalMs?: number
}

export interface InstanceWatcher {
  /** Sends the list now and then whenever it changes; for as long as anyone listens. */
  start(): void
  stop(): void
  /** Looks again at once (after a launch or teardown changed something); nothing while stopped. */
  refresh(): Promise<void>
}

/**
 * Statuses change on their own (a service exits, a VMM dies), so the list is derived again every
 * interval and sent when it differs. Reads never overlap: a refresh asked for during one runs after it.
 */
export function createInstanceWatcher(options: InstanceWatcherOptions): InstanceWatcher {
  const { read, emit, intervalMs = 1000 } = options
  let timer: NodeJS.Timeout | undefined
  let sent: string | undefined
  let inFlight: Promise<void> | undefined
  let again = false

  async function check(): Promise<void> {
    const list = await read()
    const key = JSON.stringify(list)
    if (key === sent || !timer) return
    sent = key
    emit(list)
  }

  function refresh(): Promise<void> {
    if (!timer) return Promise.resolve()
    if (inFlight) {
      again = true
      return inFlight
    }
    inFlight = (async () => {
      do {
        again = false
        // A list that cannot be read now (a record being rewritten, a corrupt one) is tried again next time;
        // `instances:list` reports the error to whoever asks.
        await check().catch(() => undefined)
      } while (again)
    })().finally(() => (inFlight = undefined))
    return inFlight
  }

  return {
    start() {
      if (timer) return
      sent = undefined
      timer = setInterval(() => void refresh(), intervalMs)
      timer.unref()
      void refresh()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
    refresh
  }
}
