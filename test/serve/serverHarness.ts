import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { WebSocket } from 'ws'
import { startApiServer, type RunningApiServer } from '../../src/main/serve/apiServer'
import { useTempDirs } from '../support/tempDirs'
import { createFakeBackend, type FakeBackend } from './fakeBackend'
import { frameLog, type FrameLog } from './frameLog'

export const PAGE = '<!doctype html><div id="app"></div><script type="module" src="./assets/app.js"></script>\n'
export const SECRET = 'secret-outside-the-renderer'

export interface TestServer {
  server: RunningApiServer
  backend: FakeBackend
  port: number
  token: string
  origin: string
  /** `Cookie` header value carrying the token, as a browser would send after the first load (enough for the page's files only). */
  cookie: string
  /** What the page offers on its API socket: `bpvm` and the token. */
  protocols: string[]
  /** The folder that holds the renderer dir and, beside it, `secret.txt`. */
  root: string
}

export interface HttpAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** node:http rather than fetch: fetch would not let a test set Origin or Host. */
export function httpGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

export type UpgradeOutcome = { opened: FrameLog } | { status: number }

/** Tries a WebSocket upgrade (offering `protocols`) and says how it ended: an open socket, or the HTTP status it was refused with. */
export function tryUpgrade(url: string, headers: Record<string, string> = {}, origin?: string, protocols: string[] = []): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers, ...(origin === undefined ? {} : { origin }) })
    // Listening from the start: the server may send a frame in the same packet as its handshake answer.
    const log = frameLog(socket)
    socket.once('open', () => resolve({ opened: log }))
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 })
      res.resume()
      socket.terminate()
    })
    socket.once('error', reject)
  })
}

/** Call at the top of a `describe`: starts servers over a small fake renderer and a fake backend, closed after each test. */
export function useTestServer() {
  const tempDir = useTempDirs('bpvm-serve-')
  const running: { server: RunningApiServer; sockets: WebSocket[] }[] = []
  afterEach(async () => {
    for (const { server, sockets } of running.splice(0)) {
      for (const socket of sockets) socket.terminate()
      await server.close()
    }
  })

  async function start(options: { port?: number; token?: string; debug?: (line: string) => void } = {}): Promise<TestServer> {
    const root = await tempDir()
    const rendererDir = join(root, 'renderer')
    await mkdir(join(rendererDir, 'assets'), { recursive: true })
    await writeFile(join(rendererDir, 'index.html'), PAGE)
    await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("app")\n')
    await writeFile(join(root, 'secret.txt'), SECRET)
    await symlink(join(root, 'secret.txt'), join(rendererDir, 'assets', 'link.txt'))
    const backend = createFakeBackend()
    const server = await startApiServer(backend, { host: '127.0.0.1', port: options.port ?? 0, rendererDir, ...(options.token ? { token: options.token } : {}), ...(options.debug ? { debug: options.debug } : {}) })
    const entry = { server, sockets: [] as WebSocket[] }
    running.push(entry)
    return {
      server,
      backend,
      port: server.port,
      token: server.token,
      origin: `http://127.0.0.1:${server.port}`,
      cookie: `bpvm_token_${server.port}=${server.token}`,
      protocols: ['bpvm', `bpvm-token.${server.token}`],
      root
    }
  }

  /** An API socket with our Origin and the token offered as the page offers it, closed after the test. */
  async function connect(test: TestServer): Promise<FrameLog> {
    const outcome = await tryUpgrade(`ws://127.0.0.1:${test.port}/api`, {}, test.origin, test.protocols)
    if (!('opened' in outcome)) throw new Error(`the upgrade was refused with ${outcome.status}`)
    running.find((r) => r.server === test.server)?.sockets.push(outcome.opened.socket)
    return outcome.opened
  }

  return { start, connect }
}
