import { join } from 'node:path'
import { app, BrowserWindow, ipcMain, session } from 'electron'
import { registerAppScheme, serveRenderer } from './appProtocol'
import type { ApiBackend } from '../service/apiBackend'
import { createBackendProcess } from './worker/backendProcess'
import { registerApiHandlers } from './ipc/apiHandlers'
import { electronShellServices } from './ipc/shellHandlers'
import { askWithMessageBox, settleVmsBeforeQuit } from './quitPolicy'
import { handleQuitSignals } from './quitSignals'
import { restrictPermissions, guardWebContents } from './security'
import { utilityWorkerSpawner } from './utilityWorker'
import { createMainWindow, focusWindow } from './window'

// Privileged schemes can only be registered before the app is ready.
registerAppScheme()

// A second copy would fight the first over VMs, taps and leases: hand over to the running one.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let mainWindow: BrowserWindow | null = null
  let backend: ApiBackend | null = null
  let quitSettled = false
  let settling = false
  // Aborted by a second Ctrl-C: the quit question closes as "Leave running" and nothing is waited on.
  const hurryQuit = new AbortController()

  const openMainWindow = (): void => {
    mainWindow = createMainWindow()
    mainWindow.on('closed', () => {
      mainWindow = null
    })
  }

  app.on('second-instance', () => {
    if (mainWindow) focusWindow(mainWindow)
    else if (app.isReady()) openMainWindow()
  })

  // Applies to every web contents, including any the app did not create on purpose.
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents))

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })

  app.on('activate', () => {
    if (app.isReady() && !mainWindow) openMainWindow()
  })

  // Quitting waits for the VM question (and a "Stop all") and for the worker to close, then quits for real.
  app.on('before-quit', (event) => {
    const running = backend
    if (quitSettled || !running) return
    event.preventDefault()
    if (settling) return
    settling = true
    settleVmsBeforeQuit(running, askWithMessageBox(() => mainWindow), undefined, hurryQuit.signal)
      .catch((error: unknown) => console.error('Could not settle the VMs before quitting', error))
      // close() asks the worker to stop and kills it if it does not; the VMs live on either way.
      .then(() => running.close())
      .catch((error: unknown) => console.error('The runtime worker did not close cleanly', error))
      .finally(() => {
        quitSettled = true
        app.quit()
      })
  })

  app
    .whenReady()
    .then(() => {
      restrictPermissions(session.defaultSession)
      serveRenderer(join(import.meta.dirname, '../renderer'))
      backend = createBackendProcess(utilityWorkerSpawner())
      // Every event, backend:status included, goes to the windows showing our page.
      registerApiHandlers(ipcMain, backend, {
        shell: electronShellServices(backend),
        windows: () => BrowserWindow.getAllWindows().map((window) => window.webContents)
      })
      openMainWindow()
      handleQuitSignals({
        quit: () => app.quit(),
        hurry: () => hurryQuit.abort(),
        exitNow: () => app.exit(130)
      })
    })
    .catch((error: unknown) => {
      console.error('Startup failed', error)
      app.exit(1)
    })
}
