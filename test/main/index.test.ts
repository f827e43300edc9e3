import { beforeEach, describe, expect, it, vi } from 'vitest'

const fakes = vi.hoisted(() => {
  const listeners = new Map<string, (...args: unknown[]) => void>()
  const window = { focused: 0, on: vi.fn() }
  return {
    listeners,
    window,
    app: {
      isPackaged: true,
      lock: true,
      quit: vi.fn(),
      exit: vi.fn(),
      isReady: () => true,
      requestSingleInstanceLock(): boolean {
        return this.lock
      },
      whenReady: vi.fn(async () => undefined),
      on: (name: string, listener: (...args: unknown[]) => void) => listeners.set(name, listener)
    },
    handled: [] as string[],
    createMainWindow: vi.fn(() => window),
    focusWindow: vi.fn((w: typeof window) => w.focused++),
    serveRenderer: vi.fn(),
    permissionsDenied: 0
  }
})

vi.mock('electron', () => ({
  app: fakes.app,
  ipcMain: { handle: (channel: string) => fakes.handled.push(channel) },
  session: {
    defaultSession: {
      setPermissionRequestHandler: () => fakes.permissionsDenied++,
      setPermissionCheckHandler: () => undefined
    }
  }
}))
vi.mock('../../src/main/appProtocol', () => ({ registerAppScheme: vi.fn(), serveRenderer: fakes.serveRenderer }))
vi.mock('../../src/main/window', () => ({ createMainWindow: fakes.createMainWindow, focusWindow: fakes.focusWindow }))
vi.mock('../../src/main/runtime/host/doctor', () => ({ runDoctor: async () => ({ programs: [] }) }))

async function start(lock: boolean): Promise<void> {
  fakes.app.lock = lock
  await import('../../src/main/index')
  // Let the whenReady() chain run.
  await new Promise((resolve) => setTimeout(resolve, 0))
}

beforeEach(() => {
  vi.resetModules()
  vi.clearAllMocks()
  fakes.listeners.clear()
  fakes.handled.length = 0
  fakes.window.focused = 0
  fakes.permissionsDenied = 0
})

describe('main entry', () => {
  it('quits without a window when another instance holds the lock', async () => {
    await start(false)
    expect(fakes.app.quit).toHaveBeenCalled()
    expect(fakes.createMainWindow).not.toHaveBeenCalled()
    expect(fakes.handled).toEqual([])
  })

  it('starts locked down, serves the renderer, answers host:doctor and opens one window', async () => {
    await start(true)
    expect(fakes.app.quit).not.toHaveBeenCalled()
    expect(fakes.permissionsDenied).toBe(1)
    expect(fakes.serveRenderer).toHaveBeenCalledWith(expect.stringMatching(/renderer$/))
    expect(fakes.handled).toEqual(['host:doctor'])
    expect(fakes.createMainWindow).toHaveBeenCalledTimes(1)
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
