import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A file server on 127.0.0.1 for the download tests, with the misbehaviours a real mirror shows:
 * a connection dropped mid-body, a Range header ignored, a transient 503, a body that stalls, a slow answer.
 */

export interface SeenRequest {
  path: string
  range?: string
  ifRange?: string
  status: number
}

export interface ImageServer {
  /** `http://127.0.0.1:<port>` */
  origin: string
  files: Map<string, Buffer>
  requests: SeenRequest[]
  /** The next GET of the path sends this many body bytes and then drops the connection. */
  cutOnce: Map<string, number>
  /** The next GET of the path sends this many body bytes and then sends nothing more. */
  stallOnce: Map<string, number>
  /** The next GET of the path is answered only after this many milliseconds. */
  delayOnce: Map<string, number>
  /** The next GET of the path answers this status. */
  statusOnce: Map<string, number>
  /** Serve every GET whole with 200, as servers without range support do. */
  ignoreRange: boolean
  requestsFor(path: string): SeenRequest[]
  close(): Promise<void>
}

const etagOf = (body: Buffer): string => `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`

export async function startImageServer(files: Map<string, Buffer> = new Map()): Promise<ImageServer> {
  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const delay = api.delayOnce.get(path)
    api.delayOnce.delete(path)
    if (delay === undefined) handle(api, req, res)
    else setTimeout(() => handle(api, req, res), delay)
  })
  const api: ImageServer = {
    origin: '',
    files,
    requests: [],
    cutOnce: new Map(),
    stallOnce: new Map(),
    statusOnce: new Map(),
    delayOnce: new Map(),
    ignoreRange: false,
    requestsFor: (path) => api.requests.filter((r) => r.path === path),
    close: async () => {
      http.closeAllConnections()
      http.close()
      await once(http, 'close')
    }
  }
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  api.origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return api
}

function handle(state: ImageServer, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
  const seen: SeenRequest = { path, status: 0 }
  if (req.headers.range) seen.range = req.headers.range
  if (typeof req.headers['if-range'] === 'string') seen.ifRange = req.headers['if-range']
  state.requests.push(seen)
  const answer = (status: number, headers: Record<string, string | number> = {}): void => {
    seen.status = status
    res.writeHead(status, headers)
  }

  const forced = state.statusOnce.get(path)
  const body = state.files.get(path)
  if (forced !== undefined || body === undefined) {
    state.statusOnce.delete(path)
    answer(forced ?? 404, { 'content-type': 'text/plain' })
    res.end('no\n')
    return
  }
  const etag = etagOf(body)
  let start = 0
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
  const rangeApplies = range !== null && !state.ignoreRange && (seen.ifRange === undefined || seen.ifRange === etag)
  if (range && rangeApplies) {
    start = Number(range[1])
    if (start >= body.length) {
      answer(416, { 'content-range': `bytes */${body.length}` })
      res.end()
      return
    }
  }
  const part = body.subarray(start)
  const headers = { 'content-length': part.length, etag, 'accept-ranges': 'bytes' }
  answer(rangeApplies ? 206 : 200, rangeApplies ? { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : headers)

  const cut = state.cutOnce.get(path)
  const stall = state.stallOnce.get(path)
  if (cut !== undefined) {
    state.cutOnce.delete(path)
    // Destroyed only once the first part is on its way, so the client really gets half a body.
    res.write(part.subarray(0, cut), () => req.socket.destroy())
  } else if (stall !== undefined) {
    state.stallOnce.delete(path)
    res.write(part.subarray(0, stall))
  } else {
    res.end(part)
  }
}
