import type { ApiEventName, ApiEvents } from '../shared/api'

export type ApiEventListener = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void

/** Fans API events out to whoever listens; one listener that throws does not stop the others. */
export interface EventHub {
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void
  /** Returns the way to stop listening. */
  on(listener: ApiEventListener): () => void
}

/** `onListening` hears when the first listener arrives and when the last one leaves, so work done only for listeners can stop. */
export function createEventHub(onListening?: (listening: boolean) => void): EventHub {
  const listeners = new Set<{ listener: ApiEventListener }>()
  return {
    emit(event, payload) {
      for (const { listener } of [...listeners]) {
        try {
          listener(event, payload)
        } catch (error) {
          console.error(`a listener of ${event} failed`, error)
        }
      }
    },
    on(listener) {
      // Wrapped, so the same function subscribed twice is two subscriptions.
      const entry = { listener }
      listeners.add(entry)
      if (listeners.size === 1) onListening?.(true)
      return () => {
        if (listeners.delete(entry) && listeners.size === 0) onListening?.(false)
      }
    }
  }
}
