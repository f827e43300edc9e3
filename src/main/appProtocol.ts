import { stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { net, protocol } from 'electron'
import { APP_HOST, APP_SCHEME, CONTENT_SECURITY_POLICY } from './security'

/**
 * Must run before the app is ready. `standard` gives the scheme a real origin (so 'self' in the
 * CSP and relative URLs work); `secure` lets the page count as a secure context.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
  ])
}

/**
 * Maps `app://bpvm/<path>` to a file inside `rootDir`, or null when the URL is for another host,
 * is malformed, or would escape `rootDir` (e.g. through `..` or an encoded separator).
 */
export function resolveAppFile(rootDir: string, requestUrl: string): string | null {
  let url: URL
  let pathname: string
  try {
    url = new URL(requestUrl)
    pathname = decodeURIComponent(url.pathname)
  } catch {
    return null
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || pathname.includes('\0')) return null
  const root = resolve(rootDir)
  const file = resolve(join(root, pathname === '/' ? 'index.html' : pathname))
  const inside = relative(root, file)
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return null
  return file
}

/** Serves the built renderer (out/renderer) and nothing else; must run after the app is ready. */
export function serveRenderer(rootDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppFile(rootDir, request.url)
    if (file === null) return new Response('Forbidden', { status: 403 })
    const isFile = await stat(file).then((s) => s.isFile(), () => false)
    if (!isFile) return new Response('Not found', { status: 404 })
    // net.fetch on file:// picks the right MIME type, which module scripts require.
    const response = await net.fetch(pathToFileURL(file).toString())
    const headers = new Headers(response.headers)
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    headers.set('X-Content-Type-Options', 'nosniff')
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  })
}
