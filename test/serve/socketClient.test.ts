import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { apiSocketUrl, createSocketApi, type SocketApi, type SocketLike } from '../../src/renderer/src/api/socketApi'
import type { BackendStatus, InstanceSummary } from '../../src/shared/api'
import { useTestServer, type TestServer } from './serverHarness'

const summary = { name: 'svc', status: 'Running' } as InstanceSummary

describe("the renderer's WebSocket client, against bpvm serve", () => {
  const { start } = useTestServer()
  const clients: SocketApi[] = []
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect()
  })

  /** The page's client as a browser on our origin would run it: the token offered as a subprotocol. */
  function clientOf(test: TestServer, options: { connectWaitMs?: number } = {}): SocketApi {
    const client = createSocketApi({
      url: apiSocketUrl({ protocol: 'http:', host: `127.0.0.1:${test.port}` }),
      openSocket: (url) => new WebSocket(url, test.protocols, { origin: test.origin }) as unknown as SocketLike,
      retryDelayMs: 20,
      maxRetryDelayMs: 100,
      ...options
    })
    clients.push(client)
    return client
  }

  it('has every operation of the API, and a call round-trips', async () => {
    const test = await start()
    const api = clientOf(test)
    expect(await api.instances.list()).toEqual({ ok: true, value: { echo: { channel: 'instances:list' } } })
    expect(await api.logs.read({ name: 'svc', stream: 'launch' })).toEqual({ ok: true, value: { echo: { channel: 'logs:read', request: { name: 'svc', stream: 'launch' } } } })
    expect(await api.instances.get({ name: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(test.backend.calls.map((c) => c.channel)).toEqual(['instances:list', 'logs:read'])
  })

  it('delivers events to listeners until they unsubscribe', async () => {
    const test = await start()
    const api = clientOf(test)
    await api.tasks.list()
    const seen: InstanceSummary[][] = []
    const alsoSeen: InstanceSummary[][] = []
    const unsubscribe = api.events.on('instances:changed', (list) => seen.push(list))
    api.events.on('instances:changed', (list) => alsoSeen.push(list))
    test.backend.emit('instances:changed', [summary])
    await expect.poll(() => seen).toEqual([[summary]])
    unsubscribe()
    test.backend.emit('instances:changed', [])
    await expect.poll(() => alsoSeen).toEqual([[summary], []])
    expect(seen).toEqual([[summary]])
    expect(() => api.events.on('nope' as 'instances:changed', () => undefined)).toThrow('no such event')
  })

  it('fails calls with BACKEND_UNAVAILABLE while the server is gone, and reconnects when it is back', async () => {
    const first = await start()
    const api = clientOf(first, { connectWaitMs: 300 })
    const statuses: BackendStatus[] = []
    api.events.on('backend:status', (status) => statuses.push(status))
    let answerLater: (() => void) | undefined
    first.backend.answer('images:pull', () => new Promise((resolve) => (answerLater = () => resolve({ ok: true, value: null }))))
    await api.tasks.list()
    const inFlight = api.images.pull()
    await expect.poll(() => answerLater).toBeDefined()

    await first.server.close()
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('may or may not have run') } })
    await expect.poll(() => statuses.map((s) => s.state)).toEqual(['restarting'])
    expect(await api.instances.list()).toMatchObject({ ok: false, error: { code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('cannot reach the bpvm server') } })

    const second = await start({ port: first.port, token: first.token })
    await expect.poll(() => statuses.map((s) => s.state)).toEqual(['restarting', 'ready'])
    expect(await api.instances.list()).toMatchObject({ ok: true })
    expect(second.backend.calls.map((c) => c.channel)).toEqual(['instances:list'])
  })

  it('waits briefly for a connection that is still opening', async () => {
    const test = await start()
    const api = clientOf(test)
    // Called at once, before the socket is open.
    expect(await api.host.doctor()).toMatchObject({ ok: true })
  })

  it('derives the socket address from the page address', () => {
    expect(apiSocketUrl({ protocol: 'http:', host: '127.0.0.1:7420' })).toBe('ws://127.0.0.1:7420/api')
    expect(apiSocketUrl({ protocol: 'https:', host: 'vm.example:443' })).toBe('wss://vm.example:443/api')
  })
})
