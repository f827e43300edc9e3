import { describe, expect, it } from 'vitest'
import { CHANNELS, type InstanceSummary, type LogChunkEvent } from '../../src/shared/api'
import { fail, ok } from '../../src/shared/result'
import { useTestServer } from './serverHarness'

/** A valid request for every channel; the first test fails when a channel is added without one. */
const VALID_REQUESTS: Record<string, unknown> = {
  'instances:launch': {
    name: 'svc',
    binary: '/srv/service.sh',
    env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 2, protocol: 'tangle' },
    args: {}
  },
  'instances:list': undefined,
  'instances:get': { name: 'svc' },
  'instances:teardown': { name: 'svc', force: true },
  'instances:teardownAll': { purge: false },
  'instances:relaunch': { name: 'svc', graceSeconds: 5 },
  'instances:watch': { name: 'svc', enabled: true },
  'logs:read': { name: 'svc', stream: 'guest' },
  'console:attach': { name: 'svc', rows: 24, cols: 80 },
  'console:input': { id: 'c1', data: 'bHMK' },
  'console:resize': { id: 'c1', rows: 30, cols: 100 },
  'console:detach': { id: 'c1' },
  'logs:subscribe': { name: 'svc', stream: 'guest', offset: 0 },
  'logs:unsubscribe': { id: 'sub-9' },
  'images:list': undefined,
  'images:pull': {},
  'images:buildDev': undefined,
  'images:buildDebian': { include: ['socat'] },
  'images:remove': { name: 'dev/abc' },
  'host:doctor': undefined,
  'host:interfaces': undefined,
  'host:checkRpc': { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944' },
  'settings:get': undefined,
  'settings:update': { app: { graceSeconds: 5 } },
  'tasks:list': undefined,
  'tasks:cancel': { id: 'task-1' }
}

const chunk = (subscription: string, data: string): LogChunkEvent => ({ subscription, name: 'svc', stream: 'guest', data, offset: 0, nextOffset: data.length, size: data.length })

const summary = { name: 'svc', status: 'Running' } as InstanceSummary

describe('bpvm serve: the API over the WebSocket', () => {
  const { start, connect } = useTestServer()

  it('routes every channel to the backend, with the request as its schema parsed it', async () => {
    expect(Object.keys(VALID_REQUESTS).sort()).toEqual([...CHANNELS.keys()].sort())
    const test = await start()
    const client = await connect(test)
    for (const [channel, request] of Object.entries(VALID_REQUESTS)) {
      const result = await client.call(channel, request)
      expect(result.ok, `${channel}: ${JSON.stringify(result)}`).toBe(true)
    }
    expect(test.backend.calls.map((c) => c.channel)).toEqual(Object.keys(VALID_REQUESTS))
    // `{}` for "nothing" reaches the runtime as nothing.
    expect(test.backend.calls.find((c) => c.channel === 'images:pull')?.request).toBeUndefined()
    expect(test.backend.calls.find((c) => c.channel === 'instances:get')?.request).toEqual({ name: 'svc' })
    expect(await client.call('host:doctor')).toEqual({ ok: true, value: { echo: { channel: 'host:doctor' } } })
  })

  it('answers a malformed request with INVALID_ARGUMENT without reaching the backend', async () => {
    const test = await start()
    const client = await connect(test)
    for (const channel of CHANNELS.keys()) {
      const result = await client.call(channel, { unexpected: true })
      expect(result, channel).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(channel) } })
    }
    expect(await client.call('instances:get', { name: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(await client.call('instances:nope', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } })
    expect(test.backend.calls).toEqual([])
  })

  it('answers frames that are not calls with an error frame, and keeps the socket open', async () => {
    const test = await start()
    const client = await connect(test)
    client.send('{not json')
    expect(await client.next((f) => 'error' in f)).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'the frame is not JSON' } })
    client.send({ channel: 'host:doctor' })
    client.send({ id: 7, channel: 'host:doctor', request: undefined, extra: 1 })
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true })
    expect(await client.next((f) => f.id === 7)).toMatchObject({ id: 7, result: { ok: false, error: { code: 'INVALID_ARGUMENT' } } })
    await client.next((f) => f.error !== undefined && String((f.error as { message: string }).message).includes('binary'))
    expect(client.frames.filter((f) => 'error' in f)).toHaveLength(3)
    expect(await client.call('host:doctor')).toMatchObject({ ok: true })
    expect(test.backend.calls).toEqual([{ channel: 'host:doctor', request: undefined }])
  })

  it('closes the socket on a frame over 1 MiB, before it reaches the backend', async () => {
    const test = await start()
    const client = await connect(test)
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)))
    client.send({ id: 1, channel: 'instances:get', request: { name: 'x'.repeat(1024 * 1024) } })
    expect(await closed).toBe(1009)
    expect(test.backend.calls).toEqual([])
  })

  it('carries a backend failure back as it is', async () => {
    const test = await start()
    test.backend.answer('instances:get', () => fail({ code: 'INSTANCE_NOT_FOUND', message: 'no instance svc' }))
    const client = await connect(test)
    expect(await client.call('instances:get', { name: 'svc' })).toEqual({ ok: false, error: { code: 'INSTANCE_NOT_FOUND', message: 'no instance svc' } })
  })

  it('sends events to every connected page, and the last runtime status to a page that connects later', async () => {
    const test = await start()
    const [a, b] = [await connect(test), await connect(test)]
    test.backend.emit('instances:changed', [summary])
    test.backend.emit('backend:status', { state: 'ready', restarts: 1 })
    for (const client of [a, b]) {
      expect(await client.next((f) => f.event === 'instances:changed')).toEqual({ event: 'instances:changed', payload: [summary] })
      await client.next((f) => f.event === 'backend:status')
    }
    const late = await connect(test)
    expect(await late.next((f) => f.event === 'backend:status')).toEqual({ event: 'backend:status', payload: { state: 'ready', restarts: 1 } })
  })

  it('sends log chunks only to the page that subscribed, and unsubscribes a page that goes away', async () => {
    const test = await start()
    const [a, b] = [await connect(test), await connect(test)]
    const subA = await a.call('logs:subscribe', { name: 'svc', stream: 'guest' })
    const subB = await b.call('logs:subscribe', { name: 'svc', stream: 'guest' })
    const [idA, idB] = [(subA.value as { id: string }).id, (subB.value as { id: string }).id]
    test.backend.emit('logs:chunk', chunk(idA, 'for a'))
    test.backend.emit('logs:chunk', chunk(idB, 'for b'))
    test.backend.emit('logs:chunk', chunk('sub-unknown', 'for nobody'))
    await a.next((f) => f.event === 'logs:chunk')
    await b.next((f) => f.event === 'logs:chunk')
    // A round trip after the chunks: anything else sent to a or b would have arrived by now.
    await a.call('tasks:list')
    await b.call('tasks:list')
    const chunksOf = (client: typeof a) => client.frames.filter((f) => f.event === 'logs:chunk').map((f) => (f.payload as LogChunkEvent).data)
    expect(chunksOf(a)).toEqual(['for a'])
    expect(chunksOf(b)).toEqual(['for b'])

    // An explicit unsubscribe stops the chunks.
    expect(await b.call('logs:unsubscribe', { id: idB })).toMatchObject({ ok: true })
    test.backend.emit('logs:chunk', chunk(idB, 'late for b'))
    await b.call('tasks:list')
    expect(chunksOf(b)).toEqual(['for b'])

    // A page that goes away takes its subscriptions with it.
    await a.close()
    await expect.poll(() => test.backend.calls.filter((c) => c.channel === 'logs:unsubscribe').map((c) => c.request)).toEqual([{ id: idB }, { id: idA }])
  })

  it('runs at most 16 calls of one connection at once, answering the ones over TOO_MANY_CALLS at once; another connection is not held up', async () => {
    const test = await start()
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    test.backend.answer('host:doctor', async () => {
      await held
      return ok({ programs: [], host: [] })
    })
    const client = await connect(test)
    const calls = Array.from({ length: 20 }, () => client.call('host:doctor', undefined, 10_000))
    // The four over the limit are answered while the sixteen still run.
    const refused = await Promise.race([Promise.all(calls.slice(16)), new Promise((r) => setTimeout(() => r('timeout'), 5_000))])
    expect(refused).toEqual(Array.from({ length: 4 }, () => ({ ok: false, error: { code: 'TOO_MANY_CALLS', message: 'this connection already has 16 calls in flight; wait for their answers' } })))
    expect(test.backend.calls.filter((c) => c.channel === 'host:doctor')).toHaveLength(16)
    const other = await connect(test)
    expect(await other.call('host:interfaces')).toMatchObject({ ok: true })
    release()
    expect((await Promise.all(calls.slice(0, 16))).every((r) => r.ok)).toBe(true)
    // With the calls answered, the connection may make more.
    expect(await client.call('host:interfaces')).toMatchObject({ ok: true })
  })

  it('debug-logs each call with its request cut short', async () => {
    const lines: string[] = []
    const test = await start({ debug: (line) => lines.push(line) })
    const client = await connect(test)
    await client.call('images:remove', { name: 'x'.repeat(1000) })
    await client.call('instances:get', { name: '' })
    expect(lines).toEqual([`api images:remove {"name":"${'x'.repeat(191)}…`])
  })

  it('stops listening to the backend when the server closes', async () => {
    const test = await start()
    const client = await connect(test)
    expect(test.backend.listenerCount()).toBe(1)
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)))
    await test.server.close()
    expect(await closed).toBe(1001)
    expect(test.backend.listenerCount()).toBe(0)
  })
})
