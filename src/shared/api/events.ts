import type { ConsoleEndedEvent, ConsoleOutputEvent } from './console'
import type { InstanceSummary } from './instances'
import type { LogChunkEvent } from './logs'
import type { TaskInfo } from './tasks'

/** The runtime worker's state, as the shell sees it. */
export interface BackendStatus {
  state: 'starting' | 'ready' | 'restarting' | 'failed'
  message?: string
  /** How many times it has been restarted since the app started. */
  restarts: number
}

/** Events the runtime pushes to every UI that listens. */
export interface ApiEvents {
  /** The whole list, whenever any instance's status, phase or existence changed. */
  'instances:changed': InstanceSummary[]
  'tasks:progress': TaskInfo
  'logs:chunk': LogChunkEvent
  'console:output': ConsoleOutputEvent
  'console:ended': ConsoleEndedEvent
  'backend:status': BackendStatus
}

export type ApiEventName = keyof ApiEvents

export const API_EVENT_NAMES: readonly ApiEventName[] = ['instances:changed', 'tasks:progress', 'logs:chunk', 'console:output', 'console:ended', 'backend:status']

/**
 * Events that belong to one client's stream (a log subscription, a console session): each goes
 * only to the client that opened the stream, named by the event's `subscription`.
 */
export const OWNED_EVENT_NAMES: ReadonlySet<ApiEventName> = new Set(['logs:chunk', 'console:output', 'console:ended'])

/** The calls that open such a stream, and the call that ends it when its client goes. */
export const STREAM_ENDS = { 'logs:subscribe': 'logs:unsubscribe', 'console:attach': 'console:detach' } as const
export type StreamOpener = keyof typeof STREAM_ENDS
export type StreamEnd = (typeof STREAM_ENDS)[StreamOpener]

/** Subscribing returns the way to unsubscribe. */
export interface ApiEventsClient {
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
}
