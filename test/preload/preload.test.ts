import { expect, it, vi } from 'vitest'

const electron = vi.hoisted(() => {
  const exposed = new Map<string, unknown>()
  return {
    exposed,
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: vi.fn(async (channel: string) => ({ ok: true, value: { programs: [], channel } })),
      send: vi.fn(),
      on: vi.fn()
    }
  }
})
vi.mock('electron', () => electron)

await import('../../src/preload/index')

/** Every value reachable from the exposed API, to prove ipcRenderer is not among them. */
function reachable(value: unknown, seen = new Set<unknown>()): Set<unknown> {
  if (seen.has(value)) return seen
  seen.add(value)
  if (value && typeof value === 'object') for (const child of Object.values(value)) reachable(child, seen)
  return seen
}

it('exposes exactly window.bpvm.host.doctor', () => {
  expect([...electron.exposed.keys()]).toEqual(['bpvm'])
  const api = electron.exposed.get('bpvm') as Record<string, Record<string, unknown>>
  expect(Object.keys(api)).toEqual(['host'])
  expect(Object.keys(api.host ?? {})).toEqual(['doctor'])
  expect(typeof api.host?.doctor).toBe('function')
})

it('never hands ipcRenderer or its methods to the page', () => {
  const values = reachable(electron.exposed.get('bpvm'))
  for (const leaked of [electron.ipcRenderer, ...Object.values(electron.ipcRenderer)]) {
    expect(values.has(leaked)).toBe(false)
  }
})

it('doctor() invokes host:doctor and returns the main process reply', async () => {
  const api = electron.exposed.get('bpvm') as { host: { doctor: () => Promise<unknown> } }
  const reply = await api.host.doctor()
  expect(electron.ipcRenderer.invoke).toHaveBeenCalledTimes(1)
  expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith('host:doctor')
  expect(reply).toEqual({ ok: true, value: { programs: [], channel: 'host:doctor' } })
})
