import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Session, WebContents } from 'electron'

const electron = vi.hoisted(() => ({ app: { isPackaged: true } }))
vi.mock('electron', () => electron)

import {
  APP_ENTRY_URL,
  denyAllPermissions,
  guardWebContents,
  isOwnFrameUrl,
  isOwnSender,
  rendererEntryUrl,
  secureWebPreferences
} from '../../src/main/security'

const DEV_URL = 'http://localhost:5173'

function runAs(mode: 'production' | 'dev'): void {
  electron.app.isPackaged = mode === 'production'
  // Set in both modes: a packaged app must ignore it.
  process.env.ELECTRON_RENDERER_URL = DEV_URL
}

beforeEach(() => runAs('production'))

describe('secureWebPreferences', () => {
  it('isolates the page from Node and keeps web security on', () => {
    const prefs = secureWebPreferences('/app/out/preload/index.cjs')
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false
    })
    expect('webSecurity' in prefs).toBe(false)
    expect('allowRunningInsecureContent' in prefs).toBe(false)
  })
})

describe('which pages are ours', () => {
  it('trusts only app://bpvm in a packaged app, even with a dev URL in the environment', () => {
    expect(rendererEntryUrl()).toBe(APP_ENTRY_URL)
    expect(isOwnFrameUrl('app://bpvm/index.html')).toBe(true)
    expect(isOwnFrameUrl('app://bpvm/assets/x.js')).toBe(true)
    expect(isOwnFrameUrl('app://evil/index.html')).toBe(false)
    expect(isOwnFrameUrl('file:///opt/bpvm/out/renderer/index.html')).toBe(false)
    expect(isOwnFrameUrl(`${DEV_URL}/`)).toBe(false)
    expect(isOwnFrameUrl('https://example.com/')).toBe(false)
    expect(isOwnFrameUrl('not a url')).toBe(false)
  })

  it('trusts only the dev server origin while developing', () => {
    runAs('dev')
    expect(rendererEntryUrl()).toBe(DEV_URL)
    expect(isOwnFrameUrl(`${DEV_URL}/`)).toBe(true)
    expect(isOwnFrameUrl(`${DEV_URL}/src/main.ts?t=1`)).toBe(true)
    expect(isOwnFrameUrl('http://localhost:5174/')).toBe(false)
    expect(isOwnFrameUrl('https://localhost:5173/')).toBe(false)
    expect(isOwnFrameUrl('http://localhost:5173.evil.com/')).toBe(false)
    expect(isOwnFrameUrl('app://bpvm/index.html')).toBe(false)
  })

  it('refuses IPC from a missing frame or a foreign page', () => {
    expect(isOwnSender({ url: 'app://bpvm/index.html' })).toBe(true)
    expect(isOwnSender({ url: 'https://example.com/' })).toBe(false)
    expect(isOwnSender(null)).toBe(false)
    expect(isOwnSender(undefined)).toBe(false)
  })
})

/** Records what guardWebContents installs, to drive it like Electron would. */
function fakeContents() {
  const listeners = new Map<string, (event: { url: string; preventDefault(): void }) => void>()
  let openHandler: ((details: { url: string }) => { action: string }) | undefined
  const contents = {
    on: (name: string, listener: (event: { url: string; preventDefault(): void }) => void) => listeners.set(name, listener),
    setWindowOpenHandler: (handler: typeof openHandler) => (openHandler = handler)
  }
  const navigate = (url: string): boolean => {
    let prevented = false
    listeners.get('will-navigate')?.({ url, preventDefault: () => (prevented = true) })
    return !prevented
  }
  const open = (url: string) => openHandler?.({ url })
  return { contents: contents as unknown as WebContents, navigate, open }
}

describe('guardWebContents', () => {
  it('refuses navigation away from our pages', () => {
    const page = fakeContents()
    guardWebContents(page.contents)
    expect(page.navigate('https://example.com/')).toBe(false)
    expect(page.navigate('file:///etc/passwd')).toBe(false)
    expect(page.navigate('app://bpvm/index.html')).toBe(true)
  })

  it('refuses every new window, ours or not', () => {
    const page = fakeContents()
    guardWebContents(page.contents)
    expect(page.open('https://example.com/')).toEqual({ action: 'deny' })
    expect(page.open('app://bpvm/index.html')).toEqual({ action: 'deny' })
  })
})

describe('denyAllPermissions', () => {
  it('refuses permission requests and checks', () => {
    let request: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined
    let check: ((wc: unknown, permission: string) => boolean) | undefined
    const session = {
      setPermissionRequestHandler: (h: typeof request) => (request = h),
      setPermissionCheckHandler: (h: typeof check) => (check = h)
    }
    denyAllPermissions(session as unknown as Session)

    const answers: boolean[] = []
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) {
      request?.(null, permission, (granted) => answers.push(granted))
      answers.push(check?.(null, permission) ?? true)
    }
    expect(answers).toEqual(new Array(8).fill(false))
  })
})
