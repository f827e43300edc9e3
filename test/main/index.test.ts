import { beforeEach, describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '../../src/shared/api'
import { shellApi } from '../../src/shared/api/shell'
import type { Result } from '../../src/shared/result'

type Listener = (...args: unknown[]) => void

const fakes = vi.hoisted(() => {
  const listeners = new Map<string, Listener>()
  const sent: unknown[][] = []
  const window = {
    focused: 0,
    on: vi.fn(),
    webContents: { isDestroyed: () => false, mainFrame: { url: 'app://bpvm/index.html' }, send: (...args: unknown[]) => sent.push(args) }
  }
  const backend = {
    calls: [] as [string, unknown][],
    instances: [] as { name: string; status: string }[],
    onQuit: 'ask',
    closed: 0,
    eventListener: undefined as undefined | ((event: string, payload: unknown) => void),
    async call(channel: string, request: unknown): Promise<Result<unknown>> {
      this.calls.push([channel, request])
      if (channel === 'instances:list') return { ok: true, value: this.instances }
      if (channel === 'settings:get') return { ok: true, value: { app: { onQuit: this.onQuit } } }
      return { ok: true, value: [] }
    },
    onEvent(listener: (event: string, payload: unknown) => void) {
      this.eventListener = listener
      return () => undefined
    },
    async close() {
      this.closed++
    }
  }
  return {
    listeners,
    sent,
    window,
    backend,
    app: {
      isPackaged: true,
      lock: true,
      quit: vi.fn(),
      exit: vi.fn(),
      isReady: () => true,
      getVersion: () => '0.1.0',
      requestSingleInstanceLock(): boolean {
        return this.lock
      },
      whenReady: vi.fn(async () => undefined),
      on: (name: string, listener: Listener) => listeners.set(name, listener)
    },
    handled: [] as string[],
    createMainWindow: vi.fn(() => window),
    focusWindow: vi.fn((w: typeof window) => w.focused++),
    serveRenderer: vi.fn(),
    createBackendProcess: vi.fn((_spawn: unknown) => backend),
    spawner: { utilityWorker: true },
    showMessageBox: vi.fn(async () => ({ response: 1, checkboxChecked: false })),
    permissionsDenied: 0,
    quitSignals: undefined as undefined | { quit(): void; hurry(): void; exitNow(): void }
  }
})

vi.mock('electron', () => ({
  app: fakes.app,
  ipcMain: { handle: (channel: string) => fakes.handled.push(channel) },
  BrowserWindow: { getAllWindows: () => [fakes.window] },
  dialog: { showMessageBox: fakes.showMessageBox },
  session: {
    defaultSession: {
      setPermissionRequestHandler: () => fakes.permissionsDenied++,
      setPermissionCheckHandler: () => undefined,
      setDevicePermissionHandler: () => undefined
    }
  }
}))
vi.mock('../../src/main/appProtocol', () => ({ registerAppScheme: vi.fn(), serveRenderer: fakes.serveRenderer }))
vi.mock('../../src/main/window', () => ({ createMainWindow: fakes.createMainWindow, focusWindow: fakes.focusWindow }))
vi.mock('../../src/main/worker/backendProcess', () => ({ createBackendProcess: fakes.createBackendProcess }))
vi.mock('../../src/main/utilityWorker', () => ({ utilityWorkerSpawner: () => fakes.spawner }))
vi.mock('../../src/main/quitSignals', () => ({ handleQuitSignals: (actions: typeof fakes.quitSignals) => (fakes.quitSignals = actions) }))

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

async function start(lock: boolean): Promise<void> {
  fakes.app.lock = lock
  await import('../../src/main/index')
  // Let the whenReady() chain run.
  await tick()
}

/** Emits before-quit like Electron: answers whether the quit went ahead at once. */
function beforeQuit(): boolean {
  let prevented = false
  fakes.listeners.get('before-quit')?.({ preventDefault: () => (prevented = true) })
  return !prevented
}

beforeEach(() => {
  vi.resetModules()
  vi.clearAllMocks()
  fakes.listeners.clear()
  fakes.handled.length = 0
  fakes.sent.length = 0
  fakes.window.focused = 0
  fakes.permissionsDenied = 0
  fakes.quitSignals = undefined
  Object.assign(fakes.backend, { calls: [], instances: [], onQuit: 'ask', closed: 0, eventListener: undefined })
})

describe('main entry', () => {
  it('quits without a window or a runtime when another instance holds the lock', async () => {
    await start(false)
    expect(fakes.app.quit).toHaveBeenCalled()
    expect(fakes.createMainWindow).not.toHaveBeenCalled()
    expect(fakes.createBackendProcess).not.toHaveBeenCalled()
    expect(fakes.handled).toEqual([])
  })

  it('starts locked down, runs the runtime in a utility process, answers every channel and opens one window', async () => {
    await start(true)
    expect(fakes.app.quit).not.toHaveBeenCalled()
    expect(fakes.permissionsDenied).toBe(1)
    expect(fakes.serveRenderer).toHaveBeenCalledWith(expect.stringMatching(/renderer$/))
    expect(fakes.createBackendProcess).toHaveBeenCalledWith(fakes.spawner)
    const shellChannels = Object.values(shellApi).map((spec) => spec.name)
    expect(fakes.handled.sort()).toEqual([...CHANNELS.keys(), ...shellChannels].sort())
    expect(fakes.createMainWindow).toHaveBeenCalledTimes(1)
  })

  it("forwards the runtime's events, its status included, to the window", async () => {
    await start(true)
    fakes.backend.eventListener?.('backend:status', { state: 'restarting', restarts: 1 })
    expect(fakes.sent).toEqual([['bpvm:event', { event: 'backend:status', payload: { state: 'restarting', restarts: 1 } }]])
  })

  it('focuses the existing window on a second launch instead of opening another', async () => {
    await start(true)
    fakes.listeners.get('second-instance')?.()
    expect(fakes.window.focused).toBe(1)
    expect(fakes.createMainWindow).toHaveBeenCalledTimes(1)
  })

  it('guards every web contents the app creates', async () => {
    await start(true)
    const contents = { on: vi.fn(), setWindowOpenHandler: vi.fn() }
    fakes.listeners.get('web-contents-created')?.({}, contents)
    expect(contents.on).toHaveBeenCalledWith('will-navigate', expect.any(Function))
    const openHandler = contents.setWindowOpenHandler.mock.calls[0]?.[0] as () => unknown
    expect(openHandler()).toEqual({ action: 'deny' })
  })
})

describe('quitting', () => {
  it('with no VM running: closes the runtime worker, then quits for real', async () => {
    await start(true)
    expect(beforeQuit()).toBe(false)
    await vi.waitFor(() => expect(fakes.app.quit).toHaveBeenCalledTimes(1))
    expect(fakes.backend.closed).toBe(1)
    expect(fakes.showMessageBox).not.toHaveBeenCalled()
    // The second before-quit, from that app.quit(), goes through.
    expect(beforeQuit()).toBe(true)
  })

  it('with VMs running: asks, and "Leave running" quits without stopping them', async () => {
    await start(true)
    fakes.backend.instances = [{ name: 'svc', status: 'Running' }]
    expect(beforeQuit()).toBe(false)
    // A second quit request while the question is up does not ask twice.
    expect(beforeQuit()).toBe(false)
    await vi.waitFor(() => expect(fakes.app.quit).toHaveBeenCalledTimes(1))
    expect(fakes.showMessageBox).toHaveBeenCalledTimes(1)
    expect(fakes.backend.calls.map(([channel]) => channel)).not.toContain('instances:teardownAll')
  })

  it('with onQuit = stop: stops all VMs before quitting, without asking', async () => {
    await start(true)
    fakes.backend.instances = [{ name: 'svc', status: 'Pending' }]
    fakes.backend.onQuit = 'stop'
    beforeQuit()
    await vi.waitFor(() => expect(fakes.app.quit).toHaveBeenCalledTimes(1))
    expect(fakes.showMessageBox).not.toHaveBeenCalled()
    expect(fakes.backend.calls.map(([channel]) => channel)).toContain('instances:teardownAll')
    expect(fakes.backend.closed).toBe(1)
  })
  it('Ctrl-C quits as Quit does; a second one closes the question as "Leave running" and closes the worker; a third exits', async () => {
    await start(true)
    fakes.backend.instances = [{ name: 'svc', status: 'Running' }]
    let questionSignal: AbortSignal | undefined
    // The native box stays up until its signal is aborted, then answers as cancelled.
    fakes.showMessageBox.mockImplementationOnce(async (...args: unknown[]) => {
      const options = args.at(-1) as { signal: AbortSignal; cancelId: number }
      questionSignal = options.signal
      await new Promise((resolve) => options.signal.addEventListener('abort', resolve))
      return { response: options.cancelId, checkboxChecked: false }
    })
    fakes.app.quit.mockImplementation(() => beforeQuit())
    fakes.quitSignals?.quit()
    await vi.waitFor(() => expect(questionSignal).toBeDefined())
    expect(fakes.backend.closed).toBe(0)
    fakes.quitSignals?.hurry()
    await vi.waitFor(() => expect(fakes.backend.closed).toBe(1))
    expect(questionSignal?.aborted).toBe(true)
    expect(fakes.backend.calls.map(([channel]) => channel)).not.toContain('instances:teardownAll')
    fakes.quitSignals?.exitNow()
    expect(fakes.app.exit).toHaveBeenCalledWith(130)
    fakes.app.quit.mockReset()
  })
})
