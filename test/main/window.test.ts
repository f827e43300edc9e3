import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron'

const electron = vi.hoisted(() => {
  class FakeWindow {
    static last: FakeWindow | undefined
    loaded: string | undefined
    visible = false
    minimized = false
    focused = false
    private readyToShow: (() => void) | undefined
    constructor(readonly options: BrowserWindowConstructorOptions) {
      FakeWindow.last = this
    }
    once(event: string, listener: () => void) {
      if (event === 'ready-to-show') this.readyToShow = listener
    }
    emitReadyToShow() {
      this.readyToShow?.()
    }
    async loadURL(url: string) {
      this.loaded = url
    }
    isMinimized() {
      return this.minimized
    }
    restore() {
      this.minimized = false
    }
    show() {
      this.visible = true
    }
    focus() {
      this.focused = true
    }
  }
  return { app: { isPackaged: true }, BrowserWindow: FakeWindow }
})
vi.mock('electron', () => electron)

import { createMainWindow, focusWindow } from '../../src/main/window'

const lastWindow = () => {
  const window = electron.BrowserWindow.last
  if (!window) throw new Error('no window was created')
  return window
}

/** Relative luminance in 0..1 of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
  return 0.2126 * (r ?? 1) + 0.7152 * (g ?? 1) + 0.0722 * (b ?? 1)
}

beforeEach(() => {
  electron.app.isPackaged = true
  process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173'
})

describe('createMainWindow', () => {
  it('opens a locked-down, dark window on app://bpvm in a packaged app', () => {
    createMainWindow()
    const window = lastWindow()
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false
    })
    expect(window.options.show).toBe(false)
    expect(window.options.webPreferences?.preload?.endsWith(join('preload', 'index.cjs'))).toBe(true)
    expect(luminance(window.options.backgroundColor ?? '#ffffff')).toBeLessThan(0.15)
    expect(window.loaded).toBe('app://bpvm/index.html')
  })

  it('loads the dev server while developing and shows the window once painted', () => {
    electron.app.isPackaged = false
    createMainWindow()
    const window = lastWindow()
    expect(window.loaded).toBe('http://localhost:5173')
    expect(window.options.show).toBe(false)
    window.emitReadyToShow()
    expect(window.visible).toBe(true)
  })
})

describe('focusWindow', () => {
  it('restores a minimised window and brings it forward', () => {
    createMainWindow()
    const window = lastWindow()
    window.minimized = true
    focusWindow(window as unknown as BrowserWindow)
    expect(window).toMatchObject({ minimized: false, visible: true, focused: true })
  })
})
