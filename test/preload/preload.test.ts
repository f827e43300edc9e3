import { describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '../../src/shared/api'
import { API_EVENT_NAMES } from '../../src/shared/api/events'
import { shellApi } from '../../src/shared/api/shell'

type Relay = (event: unknown, message: unknown) => void

const electron = vi.hoisted(() => {
  const exposed = new Map<string, unknown>()
  const relays = new Map<string, Set<(event: unknown, message: unknown) => void>>()
  return {
    exposed,
    relays,
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: vi.fn(async (channel: string, request: unknown) => ({ ok: true, value: { channel, request } })),
      send: vi.fn(),
      sendSync: vi.fn(),
      on: vi.fn((channel: string, listener: (event: unknown, message: unknown) => void) => {
        relays.set(channel, (relays.get(channel) ?? new Set()).add(listener))
      }),
      removeListener: vi.fn((channel: string, listener: (event: unknown, message: unknown) => void) => {
        relays.get(channel)?.delete(listener)
      })
    }
  }
})
vi.mock('electron', () => electron)

await import('../../src/preload/index')

type Bridge = Record<string, Record<string, (request?: unknown) => Promise<unknown>>> & {
  events: { on(event: string, listener: (payload: unknown) => void): () => void }
}
const bpvm = electron.exposed.get('bpvm') as Bridge

/** What the main process would push on the event channel. */
function push(event: string, payload: unknown): void {
  for (const relay of electron.relays.get('bpvm:event') ?? new Set<Relay>()) relay({ sender: null }, { event, payload })
}

/** Every value reachable from the exposed API, to prove ipcRenderer is not among them. */
function reachable(value: unknown, seen = new Set<unknown>()): Set<unknown> {
  if (seen.has(value)) return seen
  seen.add(value)
  if (value && typeof value === 'object') for (const child of Object.values(value)) reachable(child, seen)
  return seen
}

describe('window.bpvm', () => {
  it('is the only thing exposed, and holds only functions', () => {
    expect([...electron.exposed.keys()]).toEqual(['bpvm'])
    for (const value of reachable(bpvm)) {
      if (value !== bpvm && typeof value === 'object') expect(Object.values(value as object).every((v) => typeof v === 'function')).toBe(true)
    }
  })

  it('never hands ipcRenderer or its methods to the page', () => {
    const values = reachable(bpvm)
    for (const leaked of [electron.ipcRenderer, ...Object.values(electron.ipcRenderer)]) expect(values.has(leaked)).toBe(false)
  })

  it('has exactly one function per channel: every API channel plus the shell channels', () => {
    const exposed = Object.entries(bpvm)
      .filter(([domain]) => domain !== 'events')
      .flatMap(([domain, verbs]) => Object.keys(verbs).map((verb) => `${domain}:${verb}`))
      .sort()
    const shellChannels = Object.values(shellApi).map((spec) => spec.name)
    expect(exposed).toEqual([...CHANNELS.keys(), ...shellChannels].sort())
  })

  it.each([...CHANNELS.keys(), ...Object.values(shellApi).map((spec) => spec.name)])(
    '%s invokes its channel with the request and returns the reply',
    async (channel) => {
      const [domain, verb] = channel.split(':') as [string, string]
      const request = { probe: channel }
      electron.ipcRenderer.invoke.mockClear()
      const reply = await bpvm[domain]?.[verb]?.(request)
      expect(electron.ipcRenderer.invoke.mock.calls).toEqual([[channel, request]])
      expect(reply).toEqual({ ok: true, value: { channel, request } })
    }
  )

  it('sends "no request" as undefined', async () => {
    electron.ipcRenderer.invoke.mockClear()
    await bpvm.instances?.list?.()
    expect(electron.ipcRenderer.invoke.mock.calls).toEqual([['instances:list', undefined]])
  })
})

describe('bpvm.events.on', () => {
  it('delivers only the named event, and stops after unsubscribe', () => {
    const changed: unknown[] = []
    const progress: unknown[] = []
    const offChanged = bpvm.events.on('instances:changed', (payload) => changed.push(payload))
    const offProgress = bpvm.events.on('tasks:progress', (payload) => progress.push(payload))

    push('instances:changed', [{ name: 'svc' }])
    push('tasks:progress', { id: 't1' })
    push('logs:chunk', { data: 'x' })
    expect(changed).toEqual([[{ name: 'svc' }]])
    expect(progress).toEqual([{ id: 't1' }])

    offChanged()
    push('instances:changed', [])
    push('tasks:progress', { id: 't2' })
    expect(changed).toHaveLength(1)
    expect(progress).toEqual([{ id: 't1' }, { id: 't2' }])

    offProgress()
    expect(electron.relays.get('bpvm:event')?.size).toBe(0)
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledTimes(2)
  })

  it('listens on the event channel only, for every known event', () => {
    electron.ipcRenderer.on.mockClear()
    const offs = API_EVENT_NAMES.map((name) => bpvm.events.on(name, () => undefined))
    expect(new Set(electron.ipcRenderer.on.mock.calls.map(([channel]) => channel))).toEqual(new Set(['bpvm:event']))
    for (const off of offs) off()
  })

  it('refuses an event name that does not exist', () => {
    expect(() => bpvm.events.on('instances:exploded', () => undefined)).toThrow(/no such event/)
  })
})
