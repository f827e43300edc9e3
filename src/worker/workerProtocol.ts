import type { ApiEventName, ApiEvents } from '../shared/api'
import type { Result } from '../shared/result'

/**
 * Messages between the main process (or the headless server) and the runtime worker, over the
 * child's IPC channel (Electron utilityProcess parentPort, or Node's fork channel). Structured
 * clone / JSON: plain data only.
 */
export type ToWorker = { type: 'call'; id: number; channel: string; request: unknown } | { type: 'shutdown' }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; event: ApiEventName; payload: ApiEvents[ApiEventName] }
