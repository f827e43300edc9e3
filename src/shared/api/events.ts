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
  'backend:status': BackendStatus
}

export type ApiEventName = keyof ApiEvents

export const API_EVENT_NAMES: readonly ApiEventName[] = ['instances:changed', 'tasks:progress', 'logs:chunk', 'backend:status']

/** Subscribing returns the way to unsubscribe. */
export interface ApiEventsClient {
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
}
