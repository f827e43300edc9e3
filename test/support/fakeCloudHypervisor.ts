import { existsSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Contract } from './fakeCh/contract'
import { FakeVmm } from './fakeCh/fakeVmm'
import { parseFakeArgs } from './fakeCh/scenario'
import { CH_SPEC_PATH, hasChSpec } from './fakeCh/specPath'
import type { Reply } from './fakeCh/vmState'

/**
 * A stand-in for the `cloud-hypervisor` program, run as the VMM by the driver under test
 * (`node --import tsx fakeCloudHypervisor.ts [--fake-*] --api-socket path=<socket>`). It serves
 * the REST API as the real server does (cloud-hypervisor-notes.md), checks every request against
 * the OpenAPI contract, and writes one JSON line per request to stdout. A contract violation is
 * answered 400 and printed to stderr as `CONTRACT VIOLATION: ...` for the tests to find.
 */

const MAX_CONNECTIONS = 10
const HEADERS = { 'Content-Type': 'application/json', Server: 'Cloud Hypervisor API' }
const TOO_MANY = '{ "error": "Too many open connections" }'
const CHUNKED = '{ "error": "Transfer-Encoding: chunked is not supported.\nAll previous unanswered requests will be dropped." }'

const { scenario, socketPath } = parseFakeArgs(process.argv.slice(2))
const violation = (text: string): void => void process.stderr.write(`CONTRACT VIOLATION: ${text}\n`)
// First line of the request log: lets a test check this process is gone and reaped afterwards.
process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`)

if (!hasChSpec()) {
  process.stderr.write(`fake cloud-hypervisor: no contract at ${CH_SPEC_PATH}\n`)
  process.exit(2)
}
const contract = Contract.load(CH_SPEC_PATH)
await sleep(scenario.startupDelayMs)
if (scenario.exitEarly) {
  process.stderr.write('Error: Failed to create the hypervisor: no supported hypervisor (/dev/kvm: No such file or directory)\n')
  process.exit(1)
}
await takeSocketPath()

let exiting = false
/** The process's way out, with its sockets removed: vmm.shutdown, a guest power-off, SIGTERM. */
function exitCleanly(): void {
  if (exiting) return
  exiting = true
  vmm.teardown()
  api.close()
  try {
    unlinkSync(socketPath)
  } catch {
    // Already removed by close().
  }
  process.exit(0)
}

const vmm = new FakeVmm(scenario, exitCleanly)
let queue: Promise<void> = Promise.resolve()
let busy = false
let termRequested = false
let openConnections = 0

const http = createHttpServer((req, res) => void receive(req, res))
const api = createServer((socket: Socket) => {
  if (openConnections >= MAX_CONNECTIONS) {
    socket.end(`HTTP/1.1 503\r\nContent-Length: ${TOO_MANY.length}\r\n\r\n${TOO_MANY}`)
    return
  }
  openConnections++
  socket.once('close', () => openConnections--)
  http.emit('connection', socket)
})
api.listen(socketPath)

// cloud-hypervisor handles SIGTERM as a clean shutdown, but only once its VMM thread is free.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (busy ? (termRequested = true) : exitCleanly()))

async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : undefined
  process.stdout.write(
    `${JSON.stringify({ method: req.method, url: req.url, contentLength: req.headers['content-length'], transferEncoding: req.headers['transfer-encoding'], body, openConnections })}\n`
  )
  // micro_http reads bodies by Content-Length only: a chunked one breaks the connection's framing.
  if (req.headers['transfer-encoding']) {
    violation(`${req.method} ${req.url} sent with Transfer-Encoding: ${req.headers['transfer-encoding']}`)
    res.writeHead(400, { ...HEADERS, Connection: 'close' }).end(CHUNKED)
    return
  }
  // Served one at a time, like the VMM thread behind the real server's channel.
  queue = queue.then(() => serve(req, body, res))
}

async function serve(req: IncomingMessage, body: string | undefined, res: ServerResponse): Promise<void> {
  busy = true
  const method = req.method ?? ''
  const endpoint = req.url?.startsWith('/api/v1/') ? req.url.slice('/api/v1/'.length) : ''
  const route = vmm.routes[endpoint]
  const problems = contract.checkRequest(method, endpoint, body)
  problems.forEach(violation)
  let reply: Reply
  if (!route) reply = { status: 404, body: '["Not Found"]' }
  // A wrong method gets ["Bad Request"], except on action endpoints: 400 without a body.
  else if (method !== route.method) reply = route.method === 'PUT' && !route.takesBody ? { status: 400 } : { status: 400, body: '["Bad Request"]' }
  // A body on an action endpoint, or none where one is needed: 400 without a body.
  else if (problems.length > 0) reply = body === undefined || !route.takesBody ? { status: 400 } : { status: 400, body: JSON.stringify(['Error parsing JSON', ...problems]) }
  else reply = await route.run(body)
  if (reply.status >= 200 && reply.status < 300) contract.checkResponse(method, endpoint, reply.status, reply.body ?? '').forEach(violation)
  await answer(res, reply)
  busy = false
  reply.after?.()
  if (termRequested) exitCleanly()
}

function answer(res: ServerResponse, reply: Reply): Promise<void> {
  // A client that gave up has closed its connection: the answer goes nowhere, the queue moves on.
  if (reply.drop || res.destroyed || res.socket?.destroyed !== false) {
    res.socket?.destroy()
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    res.once('close', () => resolve())
    res.writeHead(reply.status, { ...HEADERS, 'Content-Length': Buffer.byteLength(reply.body ?? '') })
    res.end(reply.body ?? '')
  })
}

/**
 * An existing socket path: v52 fails to bind (EADDRINUSE); v53 refuses a live instance and
 * re-binds over a stale socket (it holds `<socket>.lock` while it runs, never deleted).
 */
async function takeSocketPath(): Promise<void> {
  if (scenario.version === 'v53') writeFileSync(`${socketPath}.lock`, '')
  if (!existsSync(socketPath)) return
  if (scenario.version === 'v52') {
    process.stderr.write('Error: Failed to start the API server: CreateApiServerSocket(Os { code: 98, kind: AddrInUse, message: "Address in use" })\n')
    process.exit(1)
  }
  if (await answers(socketPath)) {
    process.stderr.write(`Error: API socket ${socketPath} is already in use by another running instance\n`)
    process.exit(1)
  }
  unlinkSync(socketPath)
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path)
    probe.once('connect', () => (probe.destroy(), resolve(true)))
    probe.once('error', () => resolve(false))
  })
}
