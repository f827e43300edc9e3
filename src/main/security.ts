import { app } from 'electron'
import type { Session, WebContents, WebPreferences } from 'electron'

/** Production pages are served from `app://bpvm/...` (see appProtocol.ts), never from file://. */
export const APP_SCHEME = 'app'
export const APP_HOST = 'bpvm'
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/** The electron-vite dev server, honoured only when running from source so a packaged app cannot be pointed elsewhere. */
export function devServerUrl(): string | undefined {
  return app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL || undefined
}

/** The page the main window loads. */
export function rendererEntryUrl(devUrl = devServerUrl()): string {
  return devUrl ?? APP_ENTRY_URL
}

/**
 * The page's Content-Security-Policy: sent as a header by the app protocol and repeated in
 * index.html's meta tag (which the dev server and the headless server serve). No inline
 * scripts or styles, no plugins, no forms, no <base>.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'"

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInSubFrames: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false
  }
}

/** Whether a URL belongs to our own renderer: the dev server's origin in dev, `app://bpvm` otherwise. */
export function isOwnFrameUrl(url: string, devUrl = devServerUrl()): boolean {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return false
  }
  if (devUrl) {
    const dev = new URL(devUrl)
    return target.protocol === dev.protocol && target.host === dev.host
  }
  // URL.origin is "null" for custom schemes, so compare scheme and host directly.
  return target.protocol === `${APP_SCHEME}:` && target.host === APP_HOST
}

/** IPC guard: a frame that is gone (null) or shows someone else's page is not ours. */
export function isOwnSender(frame: { url: string } | null | undefined, devUrl = devServerUrl()): boolean {
  return frame != null && isOwnFrameUrl(frame.url, devUrl)
}

/** Keeps a web contents on our pages: no navigating or redirecting away, no new windows, no <webview>. */
export function guardWebContents(contents: WebContents): void {
  const stayHome = (event: { url: string; preventDefault(): void }): void => {
    // A reload (e.g. the dev server's full reload) targets our own page; anything else is refused.
    if (!isOwnFrameUrl(event.url)) event.preventDefault()
  }
  contents.on('will-navigate', stayHome)
  contents.on('will-redirect', stayHome)
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}

/** The one permission the UI uses: writing text to the clipboard (its Copy buttons, navigator.clipboard.writeText). */
export const CLIPBOARD_WRITE_PERMISSION = 'clipboard-sanitized-write'

/** Whether our own page asks for the clipboard write; every other permission, and every other page, is refused. */
export function isPermissionGranted(permission: string, requestingUrl: string | undefined): boolean {
  return permission === CLIPBOARD_WRITE_PERMISSION && requestingUrl !== undefined && isOwnFrameUrl(requestingUrl)
}

/**
 * The UI needs no camera, notifications, clipboard reads or devices: every request and check is
 * refused, except that our own page may write the clipboard (Electron asks for that permission
 * on every navigator.clipboard.writeText, so refusing it breaks every Copy button).
 */
export function restrictPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => callback(isPermissionGranted(permission, details.requestingUrl)))
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    isPermissionGranted(permission, details.requestingUrl ?? requestingOrigin)
  )
  session.setDevicePermissionHandler(() => false)
}
