import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiBackend } from '../../src/service/apiBackend'
import { createInstanceWatcher } from '../../src/service/instanceWatcher'
import { createConsoleSessions } from '../../src/service/consoleSessions'
import { createLogSubscriptions } from '../../src/service/logSubscriptions'
import { handlerGaps, runtimeHandlers } from '../../src/service/runtimeHandlers'
import { createRuntimeService } from '../../src/service/runtimeService'
import { createTaskRegistry } from '../../src/service/taskRegistry'
import { CHANNELS } from '../../src/shared/api'
import { useServiceHome } from './serviceHome'
import { callLoosely } from '../support/looseBackend'

const launch = {
  name: 'svc',
  binary: '/bin/true',
  env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 2, protocol: 'tangle' },
  args: {}
}

interface Case {
  malformed: unknown
  /** The same call put right, and what the runtime answers to it: proof that the malformed one did not get that far. */
  wellFormed?: unknown
  wouldBe?: string
}

// One malformed call per channel; the test below fails when a channel is added without one.
const CASES: Record<string, Case> = {
  'instances:launch': { malformed: { ...launch, bogus: 1 } },
  'instances:list': { malformed: { bogus: 1 } },
  'instances:get': { malformed: { name: 'nope', bogus: 1 }, wellFormed: { name: 'nope' }, wouldBe: 'INSTANCE_NOT_FOUND' },
  'instances:teardown': { malformed: { name: 'nope', force: 'yes' }, wellFormed: { name: 'nope', force: true }, wouldBe: 'INSTANCE_NOT_FOUND' },
  'instances:teardownAll': { malformed: { graceSeconds: -1 } },
  'instances:relaunch': { malformed: { name: 'nope', graceSeconds: 'soon' }, wellFormed: { name: 'nope' }, wouldBe: 'INSTANCE_NOT_FOUND' },
  'instances:watch': { malformed: { name: 'nope', enabled: 'yes' }, wellFormed: { name: 'nope', enabled: true }, wouldBe: 'INSTANCE_NOT_FOUND' },
  'console:attach': { malformed: { name: 'nope', rows: 0 }, wellFormed: { name: 'nope' }, wouldBe: 'INSTANCE_NOT_FOUND' },
  'console:input': { malformed: { id: 'c1', data: 'not base64!' }, wellFormed: { id: 'c1', data: 'bHM=' }, wouldBe: 'CONSOLE_NOT_FOUND' },
  'console:resize': { malformed: { id: 'c1', rows: 24, cols: 0 }, wellFormed: { id: 'c1', rows: 24, cols: 80 }, wouldBe: 'CONSOLE_NOT_FOUND' },
  'console:detach': { malformed: { id: '' }, wellFormed: { id: 'c1' }, wouldBe: 'CONSOLE_NOT_FOUND' },
  'logs:read': { malformed: { name: 'nope', stream: 'guest', offset: -1 }, wellFormed: { name: 'nope', stream: 'guest', offset: 0 }, wouldBe: 'INSTANCE_NOT_FOUND' },
  'logs:subscribe': { malformed: { name: 'nope', stream: 'kernel' }, wellFormed: { name: 'nope', stream: 'guest' }, wouldBe: 'INSTANCE_NOT_FOUND' },
  'logs:unsubscribe': { malformed: { id: 7 }, wellFormed: { id: '7' }, wouldBe: 'SUBSCRIPTION_NOT_FOUND' },
  'images:list': { malformed: [] },
  'images:pull': { malformed: { bogus: 1 } },
  'images:buildDev': { malformed: 'now' },
  'images:buildDebian': { malformed: { include: 'socat' } },
  'images:remove': { malformed: { name: 'ubuntu/nope', force: 'yes' }, wellFormed: { name: 'ubuntu/nope', force: true }, wouldBe: 'IMAGE_NOT_FOUND' },
  'host:doctor': { malformed: { bogus: 1 } },
  'host:interfaces': { malformed: 42 },
  'host:checkRpc': { malformed: { httpRpcUrl: 'http://127.0.0.1:9944' } },
  'settings:get': { malformed: { bogus: 1 } },
  'settings:update': { malformed: { app: { graceSeconds: 5, bogus: 1 } } },
  'tasks:list': { malformed: { bogus: 1 } },
  'tasks:cancel': { malformed: { id: 5 }, wellFormed: { id: '5' }, wouldBe: 'TASK_NOT_FOUND' }
}

describe('the runtime service against the API contract', () => {
  useServiceHome('contract')
  let service: ApiBackend
  beforeAll(() => {
    service = createRuntimeService({ reconcile: 'off' })
  })
  afterAll(() => service.close())

  it('has exactly one handler for every channel of the contract', () => {
    const parts = {
      tasks: createTaskRegistry({ onChange: () => undefined }),
      watcher: createInstanceWatcher({ read: async () => [], emit: () => undefined }),
      logs: createLogSubscriptions(() => undefined),
      consoles: createConsoleSessions({ output: () => undefined, ended: () => undefined }),
      beforeChange: async () => undefined,
      changed: () => undefined
    }
    const handlers = runtimeHandlers(parts)
    expect(handlerGaps(handlers)).toEqual({ missing: [], unknown: [] })
    expect([...handlers.keys()].sort()).toEqual([...CHANNELS.keys()].sort())
  })

  it('has a malformed call for every channel in this test', () => {
    expect(Object.keys(CASES).sort()).toEqual([...CHANNELS.keys()].sort())
  })

  it.each(Object.entries(CASES))('%s refuses a malformed request with INVALID_ARGUMENT before it reaches the runtime', async (channel, { malformed, wellFormed, wouldBe }) => {
    const refused = await callLoosely(service, channel, malformed)
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { channel } } })
    if (wouldBe !== undefined) expect(await callLoosely(service, channel, wellFormed)).toMatchObject({ ok: false, error: { code: wouldBe } })
  })

  it('started no task and saved nothing for any of the malformed calls', async () => {
    for (const [channel, { malformed }] of Object.entries(CASES)) await callLoosely(service, channel, malformed)
    expect(await service.call('tasks:list', undefined)).toEqual({ ok: true, value: [] })
    expect(await service.call('settings:get', undefined)).toMatchObject({ ok: true, value: { app: { graceSeconds: 30 } } })
  })

  it('answers an unknown channel with UNKNOWN_CHANNEL', async () => {
    expect(await callLoosely(service, 'instances:explode', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } })
  })
})
