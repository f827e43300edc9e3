import { createReadStream } from 'node:fs'
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { ApiBackend } from '../../service/apiBackend'
import { BpvmError } from '../../shared/errors'
import { API_SUBPROTOCOL, newAccessToken, tokenCookie } from './accessToken'
import { createApiSocketHub } from './apiSocketHub'
import { createRequestGuard } from './requestGuard'
import { authority, ownAuthorities, printableHost, type ServeOptions } from './serveOptions'
import { API_SOCKET_PATH, MAX_FRAME_BYTES } from './socketProtocol'
import { contentTypeOf, lookupStaticFile } from './staticFiles'

export interface ApiServerSettings extends Pick<ServeOptions, 'host' | 'port'> {
  /** The built renderer, served as the page; nothing outside it is. */
  rendererDir: string
  /** Tests pass their own; otherwise a new random one. */
  token?: string
  debug?: (line: string) => void
}

export interface RunningApiServer {
  /** The page's address with the token: the one thing to print. */
  url: string
  port: number
  token: string
  /** Closes every socket and stops listening; the backend is the caller's to close. */
  close(): Promise<void>
}

/** The page's policy: the meta tag's (src/main/security.ts) plus the WebSocket back to this server. */
const contentSecurityPolicy = (host: string): string =>
  `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://${host}; ` +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The request's URL; origin-form only (`/path?query`), so a request line cannot name another host. */
function requestUrl(request: IncomingMessage): URL | undefined {
  const target = request.url ?? ''
  if (!target.startsWith('/')) return undefined
  try {
    return new URL(`http://bpvm${target}`)
  } catch {
    return undefined
  }
}

/** Refuses an upgrade before it becomes a WebSocket: a plain HTTP answer, then the socket is closed. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

/**
 * The headless server: the built renderer and the API (a WebSocket at /api) on one port, every
 * request checked for our Host, our Origin and the token before anything else happens. No CORS
 * headers: no other origin is meant to read anything from here.
 */
export async function startApiServer(backend: ApiBackend, settings: ApiServerSettings): Promise<RunningApiServer> {
  const server = createServer()
  await listen(server, settings)
  // Only now is the port known (it may have been 0); nothing is handled before the checks below exist.
  const port = (server.address() as AddressInfo).port
  const token = settings.token ?? newAccessToken()
  const authorities = ownAuthorities(settings.host, port)
  const ownAuthority = authority(printableHost(settings.host), port)
  const guard = createRequestGuard({ token, port, authorities })
  const hub = createApiSocketHub(backend, settings.debug ? { debug: settings.debug } : {})
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    // The page offers `bpvm` beside the token; the answer names only `bpvm`, so the token is not echoed.
    handleProtocols: (offered) => (offered.has(API_SUBPROTOCOL) ? API_SUBPROTOCOL : false)
  })

  /** Every answer carries the same security headers, refusals included. */
  function writeHead(request: IncomingMessage, response: ServerResponse, status: number, headers: Record<string, string>): void {
    const host = request.headers.host?.toLowerCase()
    response.writeHead(status, {
      'Content-Security-Policy': contentSecurityPolicy(host !== undefined && authorities.has(host) ? host : ownAuthority),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cache-Control': 'no-store',
      ...headers
    })
  }

  function respond(request: IncomingMessage, response: ServerResponse, status: number, text?: string, headers: Record<string, string> = {}): void {
    const body: Record<string, string> = text === undefined ? { 'Content-Length': '0' } : { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) }
    writeHead(request, response, status, { ...body, ...headers })
    response.end(request.method === 'HEAD' ? undefined : text)
  }

  async function onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request)
    if (!url) return respond(request, response, 400, 'bad request\n')
    const admission = guard.admit(request, url)
    if (!admission.ok) {
      const hint = admission.status === 401 ? ': open the address `bpvm serve` printed, with its token' : ''
      return respond(request, response, admission.status, `${admission.reason}${hint}\n`)
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(request, response, 405, 'only GET\n', { Allow: 'GET, HEAD' })
    if (admission.tokenInQuery) {
      // The cookie lets the page's files load from now on; the API wants the token itself, which
      // the page takes from the fragment (never sent to a server, nor in a Referer) into its
      // tab's session storage, and then strips from the address bar.
      url.searchParams.delete('token')
      // One leading slash: `//host/…` would send the browser to another site.
      const location = `/${url.pathname.replace(/^\/+/, '')}${url.search}#token=${token}`
      return respond(request, response, 303, undefined, { Location: location, 'Set-Cookie': tokenCookie(port, token) })
    }
    if (url.pathname === API_SOCKET_PATH) return respond(request, response, 426, 'the API is a WebSocket\n', { Upgrade: 'websocket' })
    const found = await lookupStaticFile(settings.rendererDir, url.pathname)
    if (found.status !== 200) return respond(request, response, found.status, found.status === 404 ? 'not found\n' : 'bad path\n')
    writeHead(request, response, 200, { 'Content-Type': contentTypeOf(found.file), 'Content-Length': String(found.size) })
    if (request.method === 'HEAD') return void response.end()
    createReadStream(found.file).on('error', () => response.destroy()).pipe(response)
  }

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const url = requestUrl(request)
    if (!url) return refuseUpgrade(socket, 400, 'bad request')
    const admission = guard.admitSocket(request)
    if (!admission.ok) return refuseUpgrade(socket, admission.status, admission.reason)
    if (url.pathname !== API_SOCKET_PATH) return refuseUpgrade(socket, 404, 'not found')
    sockets.handleUpgrade(request, socket, head, (ws) => hub.accept(ws))
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    onRequest(request, response).catch(() => {
      if (!response.headersSent) respond(request, response, 500, 'internal error\n')
      else response.destroy()
    })
  })
  server.on('upgrade', onUpgrade)

  return {
    url: `http://${ownAuthority}/?token=${token}`,
    port,
    token,
    async close() {
      await hub.close()
      sockets.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  }
}

function listen(server: Server, settings: Pick<ServeOptions, 'host' | 'port'>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new BpvmError('PORT_IN_USE', `port ${settings.port} is in use on ${settings.host}: pick another with --port (0 picks a free one)`))
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new BpvmError('HOST_UNAVAILABLE', `--host ${settings.host}: no interface of this machine has that address`))
      else reject(error)
    })
    server.listen({ host: settings.host, port: settings.port }, resolve)
  })
}
