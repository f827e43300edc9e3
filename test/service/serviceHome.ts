import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import type { ApiEventName, ApiEvents } from '../../src/shared/api'
import type { ApiBackend } from '../../src/service/apiBackend'

/**
 * Points BPVM_HOME at a directory of this test file's own for as long as it runs: the runtime
 * reads its directories at every call, so the service (and a worker it starts) uses it.
 */
export function useServiceHome(label: string): string {
  const root = process.env.BPVM_HOME ?? tmpdir()
  const home = join(root, `${label}-home`)
  beforeAll(async () => {
    await mkdir(home, { recursive: true })
    process.env.BPVM_HOME = home
  })
  afterAll(() => {
    process.env.BPVM_HOME = root
  })
  return home
}

export interface RecordedEvent<E extends ApiEventName = ApiEventName> {
  event: E
  payload: ApiEvents[E]
  at: number
}

/** Every event a backend sends from now on, and a way to wait for one. */
export function recordEvents(backend: ApiBackend) {
  const events: RecordedEvent[] = []
  const stop = backend.onEvent((event, payload) => void events.push({ event, payload, at: Date.now() }))
  function of<E extends ApiEventName>(event: E): RecordedEvent<E>[] {
    return events.filter((e): e is RecordedEvent<E> => e.event === event)
  }
  async function waitFor<E extends ApiEventName>(event: E, test: (payload: ApiEvents[E]) => boolean, timeoutMs: number): Promise<ApiEvents[E]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = of(event).find((e) => test(e.payload))
      if (found) return found.payload
      if (Date.now() > deadline) throw new Error(`no ${event} event as expected within ${timeoutMs} ms; got ${JSON.stringify(of(event).map((e) => e.payload)).slice(-2000)}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return { events, of, waitFor, stop }
}
