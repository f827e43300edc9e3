/**
 * A browser's part in the end-to-end test, run where `bpvm serve` runs (inside the test's network
 * namespace): `node --import tsx test/serve/wsScenario.ts <url> <name> <service binary> <keystore dir> <line>`.
 * Loads the page with the printed token to get the cookie, then over the API socket launches a
 * service, waits for the launch task to succeed, follows the guest log until the service prints `line`,
 * tears the instance down and reads it back. Prints one JSON summary; exits 1 on any failure.
 */
import { request as httpRequest } from 'node:http'
import { WebSocket } from 'ws'
import { frameLog } from './frameLog'

type Frame = { event?: string; payload?: Record<string, unknown> }

function loadPage(url: string): Promise<{ status: number; cookie: string; location: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, (res) => {
      res.resume()
      const cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? ''
      resolve({ status: res.statusCode ?? 0, cookie, location: res.headers.location ?? '' })
    })
      .on('error', reject)
      .end()
  })
}

async function scenario(url: string, name: string, binary: string, keystore: string, line: string): Promise<Record<string, unknown>> {
  const page = new URL(url)
  const loaded = await loadPage(url)
  if (loaded.status !== 303 || !loaded.cookie) throw new Error(`loading the page with the token answered ${loaded.status}`)
  // As the page does: the token from the redirect's fragment, offered as a subprotocol.
  const token = new URLSearchParams(new URL(loaded.location, url).hash.slice(1)).get('token') ?? ''

  const socket = new WebSocket(`ws://${page.host}/api`, ['bpvm', `bpvm-token.${token}`], { origin: page.origin })
  const log = frameLog(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_req, res) => reject(new Error(`the API socket was refused with ${res.statusCode}`)))
    socket.once('error', reject)
  })
  const frames = log.frames as Frame[]
  const next = (test: (frame: Frame) => boolean, timeoutMs: number): Promise<Frame> => log.next((f) => test(f as Frame), timeoutMs) as Promise<Frame>
  const call = async (channel: string, request?: unknown): Promise<unknown> => {
    const result = await log.call(channel, request, 300_000)
    if (!result.ok) throw new Error(`${channel} failed: ${JSON.stringify(result.error)}`)
    return result.value
  }

  // As the page does, it waits for the runtime worker's status: a loaded host may take longer than
  // a call's wait to load a worker from source.
  await next((f) => f.event === 'backend:status' && f.payload?.state === 'ready', 120_000)
  const task = (await call('instances:launch', {
    name,
    binary,
    keystore,
    env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 2, protocol: 'tangle' },
    args: {},
    vmm: 'qemu',
    image: 'dev',
    accel: 'tcg',
    memoryBytes: 256 * 1024 * 1024,
    storageBytes: 256 * 1024 * 1024,
    // No node runs here.
    rpcCheck: false
  })) as { id: string }
  const ended = await next((f) => f.event === 'tasks:progress' && f.payload?.id === task.id && f.payload.state !== 'running', 300_000)
  if (ended.payload?.state !== 'succeeded') throw new Error(`the launch task ended ${JSON.stringify(ended.payload)}`)
  const steps = [...new Set(frames.filter((f) => f.event === 'tasks:progress' && f.payload?.id === task.id).map((f) => f.payload?.step))].filter(Boolean)

  const subscription = (await call('logs:subscribe', { name, stream: 'guest', offset: 0 })) as { id: string }
  const guestText = (): string =>
    frames
      .filter((f) => f.event === 'logs:chunk' && f.payload?.subscription === subscription.id)
      .map((f) => String(f.payload?.data))
      .join('')
  await next(() => guestText().includes(line), 180_000)
  await call('logs:unsubscribe', { id: subscription.id })

  const teardown = await call('instances:teardown', { name, graceSeconds: 30 })
  const final = await call('instances:get', { name })
  socket.close()
  return {
    task: ended.payload,
    steps,
    sawServiceLine: true,
    statusEvents: frames.filter((f) => f.event === 'backend:status').map((f) => f.payload?.state),
    teardown,
    final
  }
}

const [url, name, binary, keystore, line] = process.argv.slice(2)
if (!url || !name || !binary || !keystore || !line) {
  process.stderr.write('usage: wsScenario.ts <url> <name> <service binary> <keystore dir> <line>\n')
  process.exit(2)
}
try {
  process.stdout.write(`${JSON.stringify(await scenario(url, name, binary, keystore, line))}\n`)
  process.exit(0)
} catch (error) {
  process.stderr.write(`wsScenario: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
