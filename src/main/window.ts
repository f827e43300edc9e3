import { join } from 'node:path'
import { BrowserWindow } from 'electron'
import { rendererEntryUrl, secureWebPreferences } from './security'

/** Matches the renderer's dark background so the window never flashes white while loading. */
export const WINDOW_BACKGROUND = '#16181d'

/** out/main/*.js → out/preload/index.cjs (the preload must be CommonJS to run sandboxed). */
export const preloadPath = (): string => join(import.meta.dirname, '../preload/index.cjs')

export function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    title: 'Blueprint VM Manager',
    width: 1200,
    height: 780,
    minWidth: 720,
    minHeight: 480,
    show: false,
    backgroundColor: WINDOW_BACKGROUND,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preloadPath())
  })
  // Showing only once painted avoids an empty frame on slow starts.
  window.once('ready-to-show', () => window.show())
  const url = rendererEntryUrl()
  window.loadURL(url).catch((error: unknown) => console.error(`Could not load ${url}`, error))
  return window
}

/** Brings an existing window to the front, e.g. when the app is launched a second time. */
export function focusWindow(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore()
  window.show()
  window.focus()
}
