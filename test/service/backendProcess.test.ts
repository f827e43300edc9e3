import { spawn as spawnProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ApiBackend } from '../../src/service/apiBackend'
import { backendEntry } from '../../src/main/worker/backendEntry'
import { createBackendProcess, nodeWorkerSpawner, type SpawnWorker, type WorkerChild, type WorkerExit } from '../../src/main/worker/backendProcess'
import type { FromWorker } from '../../src/worker/workerProtocol'
import type { BackendStatus } from '../../src/shared/api'
import { recordEvents, useServiceHome } from './serviceHome'
import { callLoosely } from '../support/looseBackend'

/**
 * The worker reconciles at start; as root it would do so in this host's network namespace, so it
 * gets an empty one of its own instead (without root it has nothing to reconcile with).
 */
const isolated = process.getuid?.() === 0 ? { wrapper: ['unshare', '--net'] } : {}

/** The real worker, with a handle on each child it started. */
function realWorkers(): { spawn: SpawnWorker; children: WorkerChild[] } {
  const spawnNode = nodeWorkerSpawner(isolated)
  const children: WorkerChild[] = []
  return { children, spawn: () => children[children.push(spawnNode()) - 1]! }
}

/** A child that never gets as far as a real one: it exits at once, or never says ready. */
function brokenChild(behaviour: 'exits' | 'silent'): WorkerChild {
  const exitListeners: Array<(exit: WorkerExit) => void> = []
  if (behaviour === 'exits') setTimeout(() => exitListeners.forEach((listener) => listener({ code: 3 })), 5)
  return {
    send: () => undefined,
    onMessage: (_listener: (m: FromWorker) => void) => undefined,
    onExit: (listener) => void exitListeners.push(listener),
    kill: () => exitListeners.forEach((listener) => listener({ code: null }))
  }
}

const states = (statuses: BackendStatus[]): string[] => statuses.map((s) => s.state)

describe('the runtime worker, supervised', () => {
  const home = useServiceHome('worker')
  const backends: ApiBackend[] = []
  const track = (backend: ApiBackend): ApiBackend => (backends.push(backend), backend)
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()))
  })

  it('answers calls from a worker process and forwards its events', async () => {
    const backend = track(createBackendProcess(nodeWorkerSpawner(isolated)))
    const events = recordEvents(backend)
    expect(await backend.call('settings:get', undefined)).toMatchObject({ ok: true, value: { dirs: { state: join(home, 'state') } } })
    expect(states(events.of('backend:status').map((e) => e.payload))).toEqual(['starting', 'ready'])
    // The worker watches the instance list for its listener: the first list arrives without asking.
    expect(await events.waitFor('instances:changed', () => true, 5_000)).toEqual([])
    // The worker checks every request again.
    expect(await callLoosely(backend, 'instances:get', { name: 'x', bogus: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('fails the call a killed worker had in flight, starts it again, and answers the next call', async () => {
    const { spawn, children } = realWorkers()
    const backend = track(createBackendProcess(spawn, { restartDelayMs: 50 }))
    const events = recordEvents(backend)
    expect((await backend.call('tasks:list', undefined)).ok).toBe(true)
    const inFlight = backend.call('host:doctor', undefined)
    children[0]!.kill()
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'BACKEND_RESTARTED' } })
    expect(await backend.call('settings:get', undefined)).toMatchObject({ ok: true })
    expect(children).toHaveLength(2)
    const statuses = events.of('backend:status').map((e) => e.payload)
    expect(states(statuses)).toEqual(['starting', 'ready', 'restarting', 'ready'])
    expect(statuses.at(-1)).toEqual({ state: 'ready', restarts: 1 })
    expect(statuses[2]?.message).toContain('was killed')
  })

  it('shuts the worker down on close, after which calls are refused', async () => {
    const { spawn, children } = realWorkers()
    const backend = createBackendProcess(spawn)
    expect((await backend.call('tasks:list', undefined)).ok).toBe(true)
    const exitCode = new Promise<number | null>((resolve) => children[0]!.onExit((exit) => resolve(exit.code)))
    await backend.close()
    // It left by itself, on `shutdown`: it was not killed.
    expect(await exitCode).toBe(0)
    expect(await backend.call('tasks:list', undefined)).toMatchObject({ ok: false, error: { code: 'BACKEND_UNAVAILABLE' } })
  })

  it('exits by itself when its parent goes away', async () => {
    const entry = backendEntry()
    const child = spawnProcess(process.execPath, [...entry.execArgv, entry.script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
    const [ready] = (await once(child, 'message')) as [FromWorker]
    expect(ready).toEqual({ type: 'ready' })
    const exited = once(child, 'exit')
    child.disconnect()
    expect(await exited).toEqual([0, null])
  })

  it('gives up on a worker that keeps dying at start, and says so', async () => {
    let spawned = 0
    const backend = track(createBackendProcess(() => (spawned++, brokenChild('exits')), { restartDelayMs: 10, maxRestarts: 2 }))
    const events = recordEvents(backend)
    expect(await backend.call('tasks:list', undefined)).toMatchObject({ ok: false, error: { code: 'BACKEND_UNAVAILABLE' } })
    expect(spawned).toBe(3)
    const statuses = events.of('backend:status').map((e) => e.payload)
    expect(states(statuses)).toEqual(['starting', 'restarting', 'restarting', 'failed'])
    expect(statuses.at(-1)).toMatchObject({ restarts: 2, message: expect.stringContaining('exited with code 3') })
  })

  it('makes a call wait for the worker to be ready, and gives up after the timeout', async () => {
    const backend = track(createBackendProcess(() => brokenChild('silent'), { readyTimeoutMs: 100, closeTimeoutMs: 100 }))
    const started = Date.now()
    expect(await backend.call('tasks:list', undefined)).toMatchObject({ ok: false, error: { code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('did not become ready') } })
    expect(Date.now() - started).toBeGreaterThanOrEqual(95)
  })
  it('fails a call the worker never answers at its deadline, and still answers the next one', async () => {
    // A worker that is alive and ready but loses one call: as an Electron utility process does
    // when a failure in it goes uncaught (it only warns).
    const exitListeners: Array<(exit: WorkerExit) => void> = []
    let onMessage: ((m: FromWorker) => void) | undefined
    const lossy: WorkerChild = {
      send(message) {
        if (message.type === 'call' && message.channel !== 'host:doctor') setTimeout(() => onMessage?.({ type: 'result', id: message.id, result: { ok: true, value: message.channel } }), 1)
        if (message.type === 'shutdown') setTimeout(() => exitListeners.forEach((listener) => listener({ code: 0 })), 1)
      },
      onMessage(listener) {
        onMessage = listener
        setTimeout(() => listener({ type: 'ready' }), 1)
      },
      onExit: (listener) => void exitListeners.push(listener),
      kill: () => exitListeners.forEach((listener) => listener({ code: null }))
    }
    const backend = track(createBackendProcess(() => lossy, { callDeadlineMs: (channel) => (channel === 'host:doctor' ? 100 : 5_000) }))
    const started = Date.now()
    expect(await backend.call('host:doctor', undefined)).toMatchObject({
      ok: false,
      error: { code: 'BACKEND_UNAVAILABLE', message: 'the runtime worker did not answer host:doctor within 0.1 s', details: { channel: 'host:doctor', deadlineMs: 100 } }
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(95)
    expect(await backend.call('tasks:list', undefined)).toEqual({ ok: true, value: 'tasks:list' })
  })

  it('says how a worker ended: a V8 fatal error, a signal (also as Electron reports it, by number), or an exit nobody asked for', async () => {
    const endings: WorkerExit[] = [{ code: 6, fatalError: 'FatalError at v8::ToLocalChecked' }, { code: 9 }, { code: null, signal: 'SIGKILL' }, { code: 0 }, { code: 3 }]
    const messages: string[] = []
    for (const ending of endings) {
      const backend = track(createBackendProcess(() => {
        const child = brokenChild('silent')
        const listeners: Array<(exit: WorkerExit) => void> = []
        setTimeout(() => listeners.forEach((listener) => listener(ending)), 5)
        return { ...child, onExit: (listener) => void listeners.push(listener) }
      }, { restartDelayMs: 60_000 }))
      const events = recordEvents(backend)
      const restarting = await events.waitFor('backend:status', (status) => status.state === 'restarting', 2_000)
      messages.push(restarting.message ?? '')
    }
    expect(messages).toEqual([
      'the runtime worker crashed with a V8 fatal error (FatalError at v8::ToLocalChecked)',
      'the runtime worker was killed by SIGKILL (exit code 9)',
      'the runtime worker was killed by SIGKILL',
      'the runtime worker exited although nobody asked it to (exit code 0)',
      'the runtime worker exited with code 3'
    ])
  })
})
