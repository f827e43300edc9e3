import { readFile } from 'node:fs/promises'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Session, WebContents } from 'electron'

const electron = vi.hoisted(() => ({ app: { isPackaged: true } }))
vi.mock('electron', () => electron)

import {
  APP_ENTRY_URL,
  CONTENT_SECURITY_POLICY,
  restrictPermissions,
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
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false
    })
    expect(prefs.experimentalFeatures).toBeUndefined()
  })
})

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = (policy: string) => new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))

  it('allows scripts and styles from our own origin only, no plugins, no <base>, no forms', () => {
    const policy = directives(CONTENT_SECURITY_POLICY)
    expect(policy.get('default-src')).toEqual(["'self'"])
    expect(policy.get('script-src')).toEqual(["'self'"])
    expect(policy.get('style-src')).toEqual(["'self'"])
    expect(policy.get('object-src')).toEqual(["'none'"])
    expect(policy.get('base-uri')).toEqual(["'none'"])
    expect(policy.get('form-action')).toEqual(["'none'"])
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
  })

  it("is the same policy index.html's meta tag declares (what the dev and headless servers serve)", async () => {
    const html = await readFile(new URL('../../src/renderer/index.html', import.meta.url), 'utf8')
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY)
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
  /** Whether Electron would go ahead: an event nobody listens to is not prevented. */
  const allowed = (name: string, url: string): boolean => {
    let prevented = false
    listeners.get(name)?.({ url, preventDefault: () => (prevented = true) })
    return !prevented
  }
  const navigate = (url: string): boolean => allowed('will-navigate', url)
  const redirect = (url: string): boolean => allowed('will-redirect', url)
  const attachWebview = (): boolean => allowed('will-attach-webview', 'app://bpvm/index.html')
  const open = (url: string) => openHandler?.({ url })
  return { contents: contents as unknown as WebContents, navigate, redirect, attachWebview, open }
}

describe('guardWebContents', () => {
  it.each(['navigate', 'redirect'] as const)('refuses to %s away from our pages', (move) => {
    const page = fakeContents()
    guardWebContents(page.contents)
    const allowed = (url: string) => page[move](url)
    expect(['https://example.com/', 'file:///etc/passwd', 'app://evil/', 'app://bpvm/index.html'].map(allowed)).toEqual([false, false, false, true])
  })

  it('refuses to attach a <webview>', () => {
    const page = fakeContents()
    guardWebContents(page.contents)
    expect(page.attachWebview()).toBe(false)
  })

  it('in dev, allows the dev server and nothing else', () => {
    runAs('dev')
    const page = fakeContents()
    guardWebContents(page.contents)
    expect(page.navigate(`${DEV_URL}/`)).toBe(true)
    expect(page.navigate('http://localhost:5174/')).toBe(false)
    expect(page.navigate('app://bpvm/index.html')).toBe(false)
  })

  it('refuses every new window, ours or not', () => {
    const page = fakeContents()
    guardWebContents(page.contents)
    expect(page.open('https://example.com/')).toEqual({ action: 'deny' })
    expect(page.open('app://bpvm/index.html')).toEqual({ action: 'deny' })
  })
})

describe('restrictPermissions', () => {
  type Request = (wc: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string }) => void
  type Check = (wc: unknown, permission: string, requestingOrigin: string, details: { requestingUrl?: string }) => boolean
  function handlers(): { request: Request; check: Check; device: (details: { deviceType: string }) => boolean } {
    const set: Record<string, unknown> = {}
    const session = {
      setPermissionRequestHandler: (h: unknown) => (set.request = h),
      setPermissionCheckHandler: (h: unknown) => (set.check = h),
      setDevicePermissionHandler: (h: unknown) => (set.device = h)
    }
    restrictPermissions(session as unknown as Session)
    return set as unknown as ReturnType<typeof handlers>
  }
  const asked = (request: Request, permission: string, requestingUrl: string): boolean => {
    let answer: boolean | undefined
    request(null, permission, (granted) => (answer = granted), { requestingUrl })
    return answer ?? true
  }

  it('refuses permission requests, checks and device access, from our page too', () => {
    const { request, check, device } = handlers()
    const answers: boolean[] = []
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      answers.push(asked(request, permission, 'app://bpvm/index.html'))
      answers.push(check(null, permission, 'app://bpvm', { requestingUrl: 'app://bpvm/index.html' }))
    }
    for (const deviceType of ['hid', 'serial', 'usb']) answers.push(device({ deviceType }))
    expect(answers).toEqual(new Array(15).fill(false))
  })

  it("lets our own page write the clipboard (Electron's permission behind navigator.clipboard.writeText), and no other page", () => {
    const { request, check } = handlers()
    expect(asked(request, 'clipboard-sanitized-write', 'app://bpvm/index.html')).toBe(true)
    expect(check(null, 'clipboard-sanitized-write', 'app://bpvm', { requestingUrl: 'app://bpvm/index.html' })).toBe(true)
    // Electron may leave requestingUrl out of a check: the origin decides then.
    expect(check(null, 'clipboard-sanitized-write', 'app://bpvm', {})).toBe(true)
    expect(asked(request, 'clipboard-sanitized-write', 'https://example.com/')).toBe(false)
    expect(check(null, 'clipboard-sanitized-write', 'https://example.com', { requestingUrl: 'https://example.com/' })).toBe(false)
    expect(check(null, 'clipboard-sanitized-write', 'app://evil', {})).toBe(false)
  })
})
