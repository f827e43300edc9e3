import { EventEmitter } from 'node:events'
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { OpenDialogOptions } from 'electron'
import { CHANNELS } from '../../src/shared/api'
import { shellApi } from '../../src/shared/api/shell'
import type { ApiEventName, ApiEvents } from '../../src/shared/api/events'
import type { Result } from '../../src/shared/result'

vi.mock('electron', () => ({ app: { isPackaged: true } }))

import type { ApiBackend } from '../../src/service/apiBackend'
import { registerApiHandlers, type EventReceiver } from '../../src/main/ipc/apiHandlers'
import { logFolderFrom, type ShellServices } from '../../src/main/ipc/shellHandlers'
import { createRuntimeService } from '../../src/service/runtimeService'
import { BpvmError } from '../../src/shared/errors'
import { typedCall } from '../support/looseBackend'
import { recordFixture } from '../support/recordFixture'

type Frame = { url: string } | null
type Handler = (event: { senderFrame: Frame; sender: unknown }, request?: unknown) => Promise<Result<unknown>>
type EventListener = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void

const OURS: Frame = { url: 'app://bpvm/index.html' }
const shellChannels = Object.values(shellApi).map((spec) => spec.name)

/** A runtime stand-in that records what reached it. */
function fakeBackend(answer: (channel: string, request: unknown) => Promise<Result<unknown>> = async (channel, request) => ({ ok: true, value: { channel, request } })) {
  const calls: [string, unknown][] = []
  const listeners = new Set<EventListener>()
  const backend: ApiBackend = {
    call: typedCall(async (channel, request) => {
      calls.push([channel, request])
      return answer(channel, request)
    }),
    onEvent: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: async () => undefined
  }
  const emit = <E extends ApiEventName>(event: E, payload: ApiEvents[E]): void => listeners.forEach((listener) => listener(event, payload))
  return { backend, calls, emit }
}

function fakeShell(overrides: Partial<ShellServices> = {}) {
  const chosen: [unknown, OpenDialogOptions][] = []
  const opened: string[] = []
  const services: ShellServices = {
    choosePath: async (sender, options) => {
      chosen.push([sender, options])
      return '/home/me/bin/svc'
    },
    openPath: async (path) => {
      opened.push(path)
      return ''
    },
    version: '1.2.3',
    logFolderOf: async () => ({ folder: '/nonexistent/state/instances/x/logs', stateDir: '/nonexistent/state' }),
    ...overrides
  }
  return { services, chosen, opened }
}

/** Registers everything on a stand-in for ipcMain that, like Electron, refuses a second handler for a channel. */
function register(backend: ApiBackend, shell: ShellServices = fakeShell().services, windows: EventReceiver[] = []) {
  const handlers = new Map<string, Handler>()
  const stop = registerApiHandlers(
    {
      handle: (channel, fn) => {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
        handlers.set(channel, fn as unknown as Handler)
      }
    },
    backend,
    { shell, windows: () => windows }
  )
  const invoke = (channel: string, request?: unknown, senderFrame: Frame = OURS, sender: unknown = { id: 7 }): Promise<Result<unknown>> => {
    const handler = handlers.get(channel)
    if (!handler) throw new Error(`no handler for ${channel}`)
    return handler({ senderFrame, sender }, request)
  }
  return { handlers, invoke, stop }
}

const errorCode = (result: Result<unknown>): string | undefined => (result.ok ? undefined : result.error.code)

beforeEach(() => {
  delete process.env.ELECTRON_RENDERER_URL
  vi.spyOn(console, 'error').mockImplementation(() => undefined)
})

describe('registerApiHandlers', () => {
  it('registers exactly one handler per API channel, and besides them only the shell channels', () => {
    const { handlers } = register(fakeBackend().backend)
    expect([...handlers.keys()].sort()).toEqual([...CHANNELS.keys(), ...shellChannels].sort())
    expect(handlers.size).toBe(CHANNELS.size + shellChannels.length)
  })

  it('passes a valid call to the runtime and returns its answer as it is', async () => {
    const answers = new Map<string, Result<unknown>>([
      ['instances:get', { ok: false, error: { code: 'INSTANCE_NOT_FOUND', message: 'no instance svc' } }],
      ['host:doctor', { ok: true, value: { programs: [], host: [] } }]
    ])
    const { backend, calls } = fakeBackend(async (channel) => answers.get(channel) ?? { ok: true, value: null })
    const { invoke } = register(backend)
    expect(await invoke('instances:get', { name: 'svc' })).toEqual(answers.get('instances:get'))
    expect(await invoke('host:doctor')).toEqual(answers.get('host:doctor'))
    expect(calls).toEqual([
      ['instances:get', { name: 'svc' }],
      ['host:doctor', undefined]
    ])
  })

  it('hands the runtime the parsed request: an empty object for "nothing" arrives as undefined', async () => {
    const { backend, calls } = fakeBackend()
    const { invoke } = register(backend)
    await invoke('instances:list', {})
    await invoke('instances:teardownAll', { force: true })
    expect(calls).toEqual([
      ['instances:list', undefined],
      ['instances:teardownAll', { force: true }]
    ])
  })

  it('answers a throwing runtime with an error envelope instead of rejecting', async () => {
    const thrown = [new Error('worker pipe closed'), new BpvmError('KVM_UNAVAILABLE', '/dev/kvm is missing'), 'a string']
    for (const error of thrown) {
      const { invoke } = register(fakeBackend(async () => Promise.reject(error)).backend)
      const result = invoke('settings:get')
      await expect(result).resolves.toMatchObject({ ok: false })
      expect(await result).toEqual({
        ok: false,
        error: error instanceof BpvmError ? error.toInfo() : { code: 'INTERNAL', message: error instanceof Error ? error.message : error }
      })
    }
  })

  it('refuses every channel to a foreign or vanished frame, without reaching the runtime or the shell', async () => {
    const { backend, calls } = fakeBackend()
    const shell = fakeShell()
    const { handlers, invoke } = register(backend, shell.services)
    for (const senderFrame of [{ url: 'https://example.com/' }, { url: 'file:///opt/bpvm/out/renderer/index.html' }, { url: 'app://evil/' }, null]) {
      for (const channel of handlers.keys()) {
        expect(errorCode(await invoke(channel, undefined, senderFrame)), `${channel} from ${senderFrame?.url}`).toBe('FORBIDDEN_SENDER')
      }
    }
    expect(calls).toEqual([])
    expect(shell.chosen).toEqual([])
    expect(shell.opened).toEqual([])
  })

  it('answers a malformed request with INVALID_ARGUMENT naming the field, and never calls the runtime', async () => {
    const { backend, calls } = fakeBackend()
    const { invoke } = register(backend)
    const malformed: [string, unknown, string][] = [
      ['instances:get', {}, 'name'],
      ['instances:get', { name: 'svc', extra: 1 }, '(request)'],
      ['instances:launch', { name: 5 }, 'name'],
      ['instances:teardown', { name: 'svc', graceSeconds: -1 }, 'graceSeconds'],
      ['logs:read', { name: 'svc', stream: 'kernel' }, 'stream'],
      ['settings:update', { app: { onQuit: 'explode' } }, 'app.onQuit'],
      ['tasks:cancel', 'task-1', '(request)'],
      ['host:doctor', { verbose: true }, '(request)']
    ]
    for (const [channel, request, field] of malformed) {
      const result = await invoke(channel, request)
      expect(errorCode(result), channel).toBe('INVALID_ARGUMENT')
      if (!result.ok) expect(result.error.details?.problems, channel).toContainEqual(expect.objectContaining({ field }))
    }
    expect(calls).toEqual([])
  })
})

describe('events', () => {
  function window(url: string, destroyed = false) {
    const sent: unknown[][] = []
    const receiver: EventReceiver = {
      isDestroyed: () => destroyed,
      mainFrame: { url },
      send: (...args: unknown[]) => sent.push(args)
    } as unknown as EventReceiver
    return { receiver, sent }
  }

  it('go to windows showing our page only, as { event, payload } on bpvm:event, until stopped', () => {
    const { backend, emit } = fakeBackend()
    const ours = window('app://bpvm/index.html')
    const foreign = window('https://example.com/')
    const closed = window('app://bpvm/index.html', true)
    const { stop } = register(backend, undefined, [ours.receiver, foreign.receiver, closed.receiver])

    emit('backend:status', { state: 'ready', restarts: 0 })
    emit('tasks:progress', { id: 't1', kind: 'launch', title: 'Launch svc', target: 'svc', state: 'running', startedAt: '2026-01-01T00:00:00Z' })
    expect(ours.sent).toEqual([
      ['bpvm:event', { event: 'backend:status', payload: { state: 'ready', restarts: 0 } }],
      ['bpvm:event', { event: 'tasks:progress', payload: expect.objectContaining({ id: 't1' }) }]
    ])
    expect(foreign.sent).toEqual([])
    expect(closed.sent).toEqual([])

    stop()
    emit('backend:status', { state: 'restarting', restarts: 1 })
    expect(ours.sent).toHaveLength(2)
  })
})

describe('log subscriptions belong to the window that made them', () => {
  /** A window's web contents: sends are recorded, page events are emitted by the test. */
  function pageWindow() {
    const emitter = new EventEmitter()
    const sent: unknown[] = []
    let destroyed = false
    const contents = Object.assign(emitter, {
      isDestroyed: () => destroyed,
      mainFrame: { url: 'app://bpvm/index.html' },
      send: (_channel: string, message: unknown) => void sent.push(message)
    })
    const navigate = (isSameDocument: boolean) => emitter.emit('did-start-navigation', { isMainFrame: true, isSameDocument, url: 'app://bpvm/index.html' })
    const destroy = () => {
      destroyed = true
      emitter.emit('destroyed')
    }
    return { contents, sent, navigate, destroy }
  }

  function subscriptionsBackend() {
    let next = 0
    let hold: Promise<void> | undefined
    const fake = fakeBackend(async (channel, request) => {
      if (channel === 'logs:subscribe') {
        await hold
        return { ok: true, value: { id: `sub-${++next}`, offset: 0 } }
      }
      return { ok: true, value: request }
    })
    const unsubscribed = () => fake.calls.filter(([channel]) => channel === 'logs:unsubscribe').map(([, request]) => (request as { id: string }).id)
    const chunk = (subscription: string) => fake.emit('logs:chunk', { subscription, name: 'svc', stream: 'guest', data: 'x', offset: 0, nextOffset: 1, size: 1 })
    return { ...fake, unsubscribed, chunk, holdSubscribes: (until: Promise<void>) => (hold = until) }
  }

  const subscribe = (invoke: ReturnType<typeof register>['invoke'], window: ReturnType<typeof pageWindow>) => invoke('logs:subscribe', { name: 'svc', stream: 'guest' }, OURS, window.contents)

  it("sends a log's chunks to its window only", async () => {
    const runtime = subscriptionsBackend()
    const a = pageWindow()
    const b = pageWindow()
    const { invoke } = register(runtime.backend, undefined, [a.contents, b.contents] as unknown as EventReceiver[])
    expect(await subscribe(invoke, a)).toEqual({ ok: true, value: { id: 'sub-1', offset: 0 } })
    runtime.chunk('sub-1')
    runtime.chunk('sub-unknown')
    expect(a.sent).toEqual([{ event: 'logs:chunk', payload: expect.objectContaining({ subscription: 'sub-1' }) }])
    expect(b.sent).toEqual([])
  })

  it('ends them when the page reloads (not when only its fragment changes), when its renderer crashes, and when the window closes', async () => {
    const runtime = subscriptionsBackend()
    const window = pageWindow()
    const { invoke } = register(runtime.backend)
    await subscribe(invoke, window)
    await subscribe(invoke, window)
    window.navigate(true)
    expect(runtime.unsubscribed()).toEqual([])
    window.navigate(false)
    expect(runtime.unsubscribed()).toEqual(['sub-1', 'sub-2'])
    runtime.chunk('sub-1')
    expect(window.sent).toEqual([])

    await subscribe(invoke, window)
    window.contents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 })
    expect(runtime.unsubscribed()).toEqual(['sub-1', 'sub-2', 'sub-3'])

    await subscribe(invoke, window)
    // One the page ended itself is not ended again.
    await invoke('logs:unsubscribe', { id: 'sub-4' }, OURS, window.contents)
    await subscribe(invoke, window)
    window.destroy()
    expect(runtime.unsubscribed()).toEqual(['sub-1', 'sub-2', 'sub-3', 'sub-4', 'sub-5'])
  })

  it('ends at once a subscription whose page went while it was being made', async () => {
    const runtime = subscriptionsBackend()
    const window = pageWindow()
    const { invoke } = register(runtime.backend)
    let answer!: () => void
    runtime.holdSubscribes(new Promise<void>((resolve) => (answer = resolve)))
    const pending = subscribe(invoke, window)
    await new Promise((resolve) => setImmediate(resolve))
    window.navigate(false)
    answer()
    await pending
    expect(runtime.unsubscribed()).toEqual(['sub-1'])
  })

  it('a hundred reloads leave no subscription behind', async () => {
    const runtime = subscriptionsBackend()
    const window = pageWindow()
    const { invoke } = register(runtime.backend)
    for (let i = 0; i < 100; i++) {
      await subscribe(invoke, window)
      window.navigate(false)
    }
    expect(new Set(runtime.unsubscribed()).size).toBe(100)
  })
})

describe('shell channels', () => {
  let home: string
  let dirs: { state: string; data: string; cache: string }

  let service: ApiBackend
  const homeBefore = process.env.BPVM_HOME
  beforeAll(async () => {
    home = await realpath(await mkdtemp(join(tmpdir(), 'bpvm-shell-')))
    process.env.BPVM_HOME = home
    service = createRuntimeService({ reconcile: 'off' })
    dirs = { state: join(home, 'state'), data: join(home, 'data'), cache: join(home, 'cache') }
    await mkdir(join(dirs.state, 'instances', 'svc', 'logs'), { recursive: true })
    // An instance whose logs folder was swapped for a link out of the state dir.
    await mkdir(join(dirs.state, 'instances', 'sneaky'), { recursive: true })
    await mkdir(join(home, 'elsewhere'))
    await symlink(join(home, 'elsewhere'), join(dirs.state, 'instances', 'sneaky', 'logs'))
    for (const [name, id] of [['svc', 1], ['sneaky', 2]] as const) {
      const record = recordFixture(name, id, { phase: 'stopped', outcome: { status: 'Finished', reason: 'torn down', at: '2026-01-01T00:00:00.000Z' } })
      await writeFile(join(dirs.state, 'instances', name, 'instance.json'), JSON.stringify(record))
    }
  })
  afterAll(async () => {
    await service.close()
    if (homeBefore === undefined) delete process.env.BPVM_HOME
    else process.env.BPVM_HOME = homeBefore
    await rm(home, { recursive: true, force: true })
  })

  it('pickBinary and pickKeystore open a native dialog over the asking window and answer with the path', async () => {
    const shell = fakeShell()
    const { invoke } = register(fakeBackend().backend, shell.services)
    expect(await invoke('shell:pickBinary')).toEqual({ ok: true, value: '/home/me/bin/svc' })
    expect(await invoke('shell:pickKeystore')).toEqual({ ok: true, value: '/home/me/bin/svc' })
    expect(shell.chosen.map(([sender, options]) => [sender, options.properties])).toEqual([
      [{ id: 7 }, ['openFile']],
      [{ id: 7 }, ['openDirectory']]
    ])
  })

  it('a cancelled dialog answers null', async () => {
    const { invoke } = register(fakeBackend().backend, fakeShell({ choosePath: async () => null }).services)
    expect(await invoke('shell:pickBinary')).toEqual({ ok: true, value: null })
  })

  it('info names the transport and version', async () => {
    const { invoke } = register(fakeBackend().backend)
    expect(await invoke('shell:info')).toEqual({ ok: true, value: { transport: 'electron', version: '1.2.3' } })
  })

  /** Where the runtime service (a real one, over this describe's home) says the folder is. */
  const serviceAnswers = () => logFolderFrom(service)

  it("openLogFolder opens the instance's log folder inside the state dir", async () => {
    const shell = fakeShell({ logFolderOf: serviceAnswers() })
    const { invoke } = register(fakeBackend().backend, shell.services)
    const path = join(dirs.state, 'instances', 'svc', 'logs')
    expect(await invoke('shell:openLogFolder', { name: 'svc' })).toEqual({ ok: true, value: { path } })
    expect(shell.opened).toEqual([path])
  })

  it('openLogFolder refuses names that are not instance names, links out of the state dir, and missing folders', async () => {
    const shell = fakeShell({ logFolderOf: serviceAnswers() })
    const { invoke } = register(fakeBackend().backend, shell.services)
    const refused: [unknown, string][] = [
      [{ name: '../../elsewhere' }, 'INVALID_INPUT'],
      [{ name: '/etc' }, 'INVALID_INPUT'],
      [{ name: 'SVC' }, 'INVALID_INPUT'],
      [{ name: 'sneaky' }, 'PATH_REFUSED'],
      [{ name: 'ghost' }, 'INSTANCE_NOT_FOUND'],
      [{ name: '' }, 'INVALID_ARGUMENT'],
      [{ name: 'svc', path: '/etc' }, 'INVALID_ARGUMENT'],
      [undefined, 'INVALID_ARGUMENT']
    ]
    for (const [request, code] of refused) expect(errorCode(await invoke('shell:openLogFolder', request)), JSON.stringify(request)).toBe(code)
    expect(shell.opened).toEqual([])
  })

  it("openLogFolder reports the file manager's failure as an error", async () => {
    const shell = fakeShell({ logFolderOf: serviceAnswers(), openPath: async () => 'No application is registered for folders' })
    const { invoke } = register(fakeBackend().backend, shell.services)
    const result = await invoke('shell:openLogFolder', { name: 'svc' })
    expect(result).toMatchObject({ ok: false, error: { code: 'OPEN_FAILED', message: expect.stringContaining('No application') } })
  })
})
