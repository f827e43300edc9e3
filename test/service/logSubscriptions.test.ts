import { appendFile, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiBackend } from '../../src/service/apiBackend'
import { createRuntimeService } from '../../src/service/runtimeService'
import { wholeUtf8Length } from '../../src/service/utf8Boundary'
import { instancePaths, writeInstance } from '../../src/main/runtime/instance/instanceRecord'
import type { LogChunk, LogChunkEvent, LogSubscription } from '../../src/shared/api'
import { recordEvents, useServiceHome } from './serviceHome'

/** An instance that ran once and stopped: a record and a log directory are all the log channels need. */
async function stoppedInstance(name: string): Promise<string> {
  const now = new Date().toISOString()
  await writeInstance({
    version: 1, name, vmm: 'qemu', image: 'dev', accel: 'tcg',
    limits: { memoryBytes: 256 * 2 ** 20, vcpus: 1, storageBytes: 256 * 2 ** 20 },
    net: { id: 1, tap: 'tap-tngl-1', subnet: '172.30.0.0/30', hostAddress: '172.30.0.1', guestAddress: '172.30.0.2', prefix: 30, egress: 'eth0' },
    phase: 'stopped', outcome: { status: 'Finished', reason: 'torn down', at: now }, createdAt: now, updatedAt: now
  })
  return instancePaths(name).serialLog
}

describe('wholeUtf8Length', () => {
  it('leaves out only a character cut at the end', () => {
    const euro = Buffer.from('a€', 'utf8')
    expect([0, 1, 2, 3, 4].map((n) => wholeUtf8Length(euro.subarray(0, n)))).toEqual([0, 1, 1, 1, 4])
    const emoji = Buffer.from('😀', 'utf8')
    expect([1, 2, 3, 4].map((n) => wholeUtf8Length(emoji.subarray(0, n)))).toEqual([0, 0, 0, 4])
    expect(wholeUtf8Length(Buffer.from('plain ascii'))).toBe(11)
  })
})

describe('logs through the runtime service', () => {
  useServiceHome('logs')
  let service: ApiBackend
  let log: string
  beforeAll(async () => {
    service = createRuntimeService({ reconcile: 'off' })
    log = await stoppedInstance('logsvc')
  })
  afterAll(() => service.close())

  const subscribe = async (request: object): Promise<LogSubscription> => {
    const result = await service.call('logs:subscribe', { name: 'logsvc', stream: 'guest', ...request })
    if (!result.ok) throw new Error(result.error.message)
    return result.value as LogSubscription
  }
  const chunksOf = (events: ReturnType<typeof recordEvents>, id: string): LogChunkEvent[] =>
    events.of('logs:chunk').map((e) => e.payload).filter((c) => c.subscription === id)

  it('reads a page as text, stopping before a character cut by maxBytes', async () => {
    await writeFile(log, 'prix: 5€\n')
    const first = await service.call('logs:read', { name: 'logsvc', stream: 'guest', maxBytes: 9 })
    // `€` is 3 bytes at 8–10: the page stops before it rather than cut it.
    expect(first).toEqual({ ok: true, value: { data: 'prix: 5', offset: 0, nextOffset: 7, size: 11 } })
    const rest = await service.call('logs:read', { name: 'logsvc', stream: 'guest', offset: 7 })
    expect(rest).toEqual({ ok: true, value: { data: '€\n', offset: 7, nextOffset: 11, size: 11 } })
    // A log that does not exist yet reads as empty.
    expect(await service.call('logs:read', { name: 'logsvc', stream: 'stderr' })).toEqual({ ok: true, value: { data: '', offset: 0, nextOffset: 0, size: 0 } })
  })

  it('follows a log from its end: new lines arrive in order, batched, within 200 ms', async () => {
    await writeFile(log, 'before\n')
    const events = recordEvents(service)
    const subscription = await subscribe({})
    expect(subscription.offset).toBe(7)
    const appended = Date.now()
    await appendFile(log, 'one\n')
    await appendFile(log, 'two\n')
    await events.waitFor('logs:chunk', (c) => c.subscription === subscription.id, 1_000)
    const first = events.of('logs:chunk')[0]!
    expect(first.at - appended).toBeLessThan(200)
    // Both lines were written within one batch's time: one chunk carries them.
    await sleep(150)
    expect(chunksOf(events, subscription.id)).toEqual([
      { subscription: subscription.id, name: 'logsvc', stream: 'guest', data: 'one\ntwo\n', offset: 7, nextOffset: 15, size: 15 }
    ])
    await appendFile(log, 'three\n')
    await events.waitFor('logs:chunk', (c) => c.subscription === subscription.id && c.data === 'three\n', 1_000)
    expect(chunksOf(events, subscription.id).map((c) => [c.offset, c.nextOffset])).toEqual([[7, 15], [15, 21]])

    expect(await service.call('logs:unsubscribe', { id: subscription.id })).toEqual({ ok: true, value: { id: subscription.id } })
    await appendFile(log, 'after\n')
    await sleep(250)
    expect(chunksOf(events, subscription.id).map((c) => c.data)).toEqual(['one\ntwo\n', 'three\n'])
    expect(await service.call('logs:unsubscribe', { id: subscription.id })).toMatchObject({ ok: false, error: { code: 'SUBSCRIPTION_NOT_FOUND' } })
    events.stop()
  })

  it('delivers a character split across two writes whole, once both halves are there', async () => {
    await writeFile(log, '')
    const events = recordEvents(service)
    const subscription = await subscribe({ offset: 0 })
    const euro = Buffer.from('€\n', 'utf8')
    await appendFile(log, Buffer.concat([Buffer.from('price '), euro.subarray(0, 2)]))
    await events.waitFor('logs:chunk', (c) => c.subscription === subscription.id, 1_000)
    // Well past a batch: the first half of `€` must still be held back.
    await sleep(200)
    await appendFile(log, euro.subarray(2))
    await events.waitFor('logs:chunk', (c) => c.subscription === subscription.id && c.data.includes('\n'), 1_000)
    const chunks = chunksOf(events, subscription.id)
    expect(chunks.map((c) => c.data)).toEqual(['price ', '€\n'])
    expect(chunks.map((c) => [c.offset, c.nextOffset])).toEqual([[0, 6], [6, 10]])
    await service.call('logs:unsubscribe', { id: subscription.id })
    events.stop()
  })

  it('starts from a given offset with what the log already holds', async () => {
    await writeFile(log, 'first\nsecond\n')
    const events = recordEvents(service)
    const subscription = await subscribe({ offset: 6 })
    expect(subscription.offset).toBe(6)
    const chunk = await events.waitFor('logs:chunk', (c) => c.subscription === subscription.id, 1_000)
    expect(chunk).toMatchObject({ data: 'second\n', offset: 6, nextOffset: 13 })
    await service.call('logs:unsubscribe', { id: subscription.id })
    events.stop()
  })

  it('stops every subscription when the service closes', async () => {
    const own = createRuntimeService({ reconcile: 'off' })
    await writeFile(log, '')
    const events = recordEvents(own)
    const result = await own.call('logs:subscribe', { name: 'logsvc', stream: 'guest' })
    expect(result.ok).toBe(true)
    await own.close()
    await appendFile(log, 'late\n')
    await sleep(250)
    expect(events.of('logs:chunk')).toEqual([])
    // The page reader sees the line: it was the subscription that stopped.
    expect((await service.call('logs:read', { name: 'logsvc', stream: 'guest' })) as { value: LogChunk }).toMatchObject({ value: { data: 'late\n' } })
  })
})
