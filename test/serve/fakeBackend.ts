import type { ApiEventName, ApiEvents } from '../../src/shared/api'
import { ok, type Result } from '../../src/shared/result'
import type { ApiBackend } from '../../src/service/apiBackend'
import { typedCall } from '../support/looseBackend'

/**
 * The far side of the headless transport, for its tests: records every call that reaches it and
 * answers with the call echoed back (log subscriptions get ids), or with what a test set.
 */
export interface FakeBackend extends ApiBackend {
  calls: { channel: string; request: unknown }[]
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void
  /** Overrides the answer for one channel. */
  answer(channel: string, reply: (request: unknown) => Result<unknown> | Promise<Result<unknown>>): void
  /** How many event listeners are attached (the server's hub is one). */
  listenerCount(): number
}

export function createFakeBackend(): FakeBackend {
  const calls: { channel: string; request: unknown }[] = []
  const listeners = new Set<(event: ApiEventName, payload: unknown) => void>()
  const replies = new Map<string, (request: unknown) => Result<unknown> | Promise<Result<unknown>>>()
  let subscriptions = 0

  return {
    calls,
    call: typedCall(async (channel, request) => {
      calls.push({ channel, request })
      const reply = replies.get(channel)
      if (reply) return reply(request)
      if (channel === 'logs:subscribe') return ok({ id: `sub-${++subscriptions}`, offset: 0 })
      return ok({ echo: { channel, request } })
    }),
    onEvent(listener) {
      const entry = listener as (event: ApiEventName, payload: unknown) => void
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },
    async close() {
      listeners.clear()
    },
    emit(event, payload) {
      for (const listener of [...listeners]) listener(event, payload)
    },
    answer(channel, reply) {
      replies.set(channel, reply)
    },
    listenerCount: () => listeners.size
  }
}
