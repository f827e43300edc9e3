import { join } from 'node:path'
import { app, ipcMain, session, type BrowserWindow } from 'electron'
import { registerAppScheme, serveRenderer } from './appProtocol'
import { registerHostHandlers } from './ipc/hostHandlers'
import { runDoctor } from './runtime/host/doctor'
import { denyAllPermissions, guardWebContents } from './security'
import { createMainWindow, focusWindow } from './window'

// Privileged schemes can only be registered before the app is ready.
registerAppScheme()

// A second copy would fight the first over VMs, taps and leases: hand over to the running one.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let mainWindow: BrowserWindow | null = null

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

  app
    .whenReady()
    .then(() => {
      denyAllPermissions(session.defaultSession)
      serveRenderer(join(import.meta.dirname, '../renderer'))
      registerHostHandlers(ipcMain, { runDoctor })
      openMainWindow()
    })
    .catch((error: unknown) => {
      console.error('Startup failed', error)
      app.exit(1)
    })
}
