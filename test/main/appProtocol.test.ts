import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

const electron = vi.hoisted(() => ({
  app: { isPackaged: true },
  protocol: {
    registerSchemesAsPrivileged: vi.fn(),
    handlers: new Map<string, (request: Request) => Promise<Response>>(),
    handle(scheme: string, handler: (request: Request) => Promise<Response>) {
      this.handlers.set(scheme, handler)
    }
  },
  // Stands in for Chromium's file:// loader.
  net: { fetch: async (url: string) => new Response(await readFile(fileURLToPath(url), 'utf8')) }
}))
vi.mock('electron', () => electron)

import { registerAppScheme, resolveAppFile, serveRenderer } from '../../src/main/appProtocol'
import { CONTENT_SECURITY_POLICY } from '../../src/main/security'

const root = '/srv/bpvm/out/renderer'

describe('resolveAppFile', () => {
  it('maps app://bpvm paths into the renderer folder', () => {
    expect(resolveAppFile(root, 'app://bpvm/')).toBe(`${root}/index.html`)
    expect(resolveAppFile(root, 'app://bpvm/index.html')).toBe(`${root}/index.html`)
    expect(resolveAppFile(root, 'app://bpvm/assets/index-1a2b.js?v=1')).toBe(`${root}/assets/index-1a2b.js`)
  })

  it('never leaves the renderer folder', () => {
    const escapes = [
      'app://bpvm/..%2f..%2fetc%2fpasswd',
      'app://bpvm/%2e%2e%2f%2e%2e%2fetc/passwd',
      'app://bpvm/..%2frenderer-evil/index.html',
      'app://bpvm/assets/..%2f..%2f..%2fsecret'
    ]
    for (const url of escapes) expect(resolveAppFile(root, url), url).toBeNull()
    // Plain dot segments are folded by the URL parser and land back inside the folder.
    expect(resolveAppFile(root, 'app://bpvm/../../etc/passwd')).toBe(`${root}/etc/passwd`)
  })

  it('refuses other hosts, other schemes and malformed paths', () => {
    expect(resolveAppFile(root, 'app://other/index.html')).toBeNull()
    expect(resolveAppFile(root, 'file:///srv/bpvm/out/renderer/index.html')).toBeNull()
    expect(resolveAppFile(root, 'app://bpvm/index.html%00.js')).toBeNull()
    expect(resolveAppFile(root, 'app://bpvm/%E0%A4%A')).toBeNull()
  })
})

describe('serveRenderer', () => {
  let dir: string
  let fetchPage: (url: string) => Promise<Response>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bpvm-renderer-'))
    await mkdir(join(dir, 'renderer', 'assets'), { recursive: true })
    await writeFile(join(dir, 'renderer', 'index.html'), '<title>bpvm</title>')
    await writeFile(join(dir, 'secret.txt'), 'do not serve')
    serveRenderer(join(dir, 'renderer'))
    const handler = electron.protocol.handlers.get('app')
    if (!handler) throw new Error('no handler registered for app://')
    fetchPage = (url) => handler(new Request(url))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('serves files from the renderer folder under our Content-Security-Policy', async () => {
    const response = await fetchPage('app://bpvm/index.html')
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Security-Policy')).toBe(CONTENT_SECURITY_POLICY)
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(await response.text()).toBe('<title>bpvm</title>')
  })

  it('answers 403 for escapes and 404 for what is not a file', async () => {
    const escape = await fetchPage('app://bpvm/..%2fsecret.txt')
    expect(escape.status).toBe(403)
    expect(await escape.text()).not.toContain('do not serve')
    expect((await fetchPage('app://bpvm/missing.js')).status).toBe(404)
    expect((await fetchPage('app://bpvm/assets')).status).toBe(404)
  })

  it('registers app:// as a standard, secure scheme', () => {
    registerAppScheme()
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })
    ])
  })
})
