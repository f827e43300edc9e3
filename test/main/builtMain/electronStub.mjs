// What the built main bundle gets for `import … from 'electron'` when it runs under plain Node
// (see electronHooks.mjs). It records what the app registers so driveBuiltMain.mjs can act as
// the renderer; utilityProcess.fork starts a real Node child, so the runtime really runs apart.
import { fork } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { constants } from 'node:os'

const appEvents = new EventEmitter()

/** Every invoke handler the app registered, by channel. */
export const handlers = new Map()
/** Every utility process started: its module, options, pid, the channels it was asked for and its exit code. */
export const forked = []
export const quitCalls = { count: 0 }

export const app = {
  isPackaged: true,
  getVersion: () => '0.0.0-built-main-test',
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve(),
  isReady: () => true,
  on(name, listener) {
    appEvents.on(name, listener)
    return app
  },
  emit: (name, ...args) => appEvents.emit(name, ...args),
  quit() {
    quitCalls.count++
    appEvents.emit('quit-called')
  },
  exit: (code) => process.exit(code)
}

export const ipcMain = {
  handle(channel, handler) {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    handlers.set(channel, handler)
  }
}

export const protocol = { registerSchemesAsPrivileged() {}, handle() {} }
export const net = { fetch: (...args) => fetch(...args) }

export const session = {
  defaultSession: { setPermissionRequestHandler() {}, setPermissionCheckHandler() {}, setDevicePermissionHandler() {} }
}

export const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showMessageBox: async () => ({ response: 1, checkboxChecked: false })
}
export const shell = { openPath: async () => '' }

const windows = []
export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super()
    this.options = options
    this.webContents = { mainFrame: { url: '' }, sent: [], isDestroyed: () => false, send: (...args) => this.webContents.sent.push(args) }
    windows.push(this)
  }
  static getAllWindows = () => [...windows]
  static fromWebContents = (contents) => windows.find((window) => window.webContents === contents) ?? null
  async loadURL(url) {
    this.webContents.mainFrame.url = url
  }
  isMinimized = () => false
  restore() {}
  show() {}
  focus() {}
}

const children = new Set()
// Never leave a worker behind, whatever the driver does.
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')))

/**
 * As Electron's: `exit` always has a number (a signal's number when a signal ended the child, and
 * 0 when kill() did); postMessage structured-clones, throws on what it cannot clone, and does
 * nothing once the child is gone; the child runs with warn-only unhandled rejections and a
 * parentPort (utilityParentPort.mjs).
 */
export const utilityProcess = {
  fork(modulePath, args, options) {
    const child = fork(modulePath, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      execArgv: ['--unhandled-rejections=warn', '--import', new URL('./utilityParentPort.mjs', import.meta.url).href]
    })
    children.add(child)
    const record = { modulePath, options, pid: child.pid, calls: [], exitCode: undefined, exitReported: undefined }
    forked.push(record)
    const proc = new EventEmitter()
    let killedByUs = false
    Object.assign(proc, {
      pid: child.pid,
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage(message) {
        const copy = structuredClone(message)
        if (!child.connected) return
        if (copy.type === 'call') record.calls.push(copy.channel)
        child.send(copy)
      },
      kill() {
        killedByUs = true
        return child.kill('SIGTERM')
      }
    })
    record.fatalError = (location) =>
      // From native code, as Electron emits it: with no listener, an uncaught exception in main.
      setImmediate(() => {
        proc.emit('error', 'FatalError', location, '{"header":{"event":"stub fatal error"}}')
        child.kill('SIGABRT')
      })
    child.on('message', (message) => proc.emit('message', message))
    child.on('exit', (code, signal) => {
      children.delete(child)
      record.exitCode = code ?? signal
      record.exitReported = signal ? (killedByUs ? 0 : constants.signals[signal]) : code
      proc.emit('exit', record.exitReported)
    })
    return proc
  }
}

export const contextBridge = {}
export const ipcRenderer = {}
