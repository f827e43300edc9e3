import { chmod, rm } from 'node:fs/promises'
import { createConnection, createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { clientFrameSchema, frameLine, lineReader, type HubFrame } from './consoleFrames'

export interface ConsoleHubOptions {
  /** The VMM's console socket (it listens; one client at a time). */
  console: string
  /** QEMU's console-size port socket, when there is one. */
  size?: string
  /** Where the hub listens for viewers (mode 0600). */
  listen: string
  /** How much of the console's output a new viewer is shown; default 64 KiB. */
  screenBytes?: number
  /** How long to keep trying to reach the VMM's console; default 10 s. */
  connectTimeoutMs?: number
}

/**
 * The screen without the questions a program asked the terminal (cursor position, status,
 * device attributes): replayed to a new viewer, its terminal would answer them again, and the
 * answers would reach the guest's shell as keys.
 */
export function withoutTerminalQueries(screen: Buffer): Buffer {
  // eslint-disable-next-line no-control-regex
  return Buffer.from(screen.toString('latin1').replace(/\x1b\[[0-9;?>=]*[nc]/g, ''), 'latin1')
}

async function connectWithin(path: string, timeoutMs: number): Promise<Socket> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = createConnection(path)
        socket.once('connect', () => resolve(socket)).once('error', reject)
      })
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(50)
    }
  }
}

/**
 * One VM's console, shared: the hub holds the VMM's console (which takes one client) and lets
 * any number of viewers in. What the guest prints goes to every viewer, and the last
 * `screenBytes` of it to each new one; what any viewer types goes to the guest; the size the
 * latest viewer reports goes to the guest's size port. Resolves when the console closes (the VM
 * stopped) or `stop` fires, with every viewer told and the listening socket removed.
 */
export async function runConsoleHub(options: ConsoleHubOptions, stop: AbortSignal): Promise<string> {
  const screenBytes = options.screenBytes ?? 64 * 1024
  const vm = await connectWithin(options.console, options.connectTimeoutMs ?? 10_000)
  const size = options.size ? await connectWithin(options.size, 2_000).catch(() => undefined) : undefined
  size?.on('error', () => undefined)
  let screen = Buffer.alloc(0)
  const viewers = new Set<Socket>()
  const send = (viewer: Socket, frame: HubFrame): void => void viewer.write(frameLine(frame))

  vm.on('data', (data: Buffer) => {
    screen = Buffer.concat([screen, data])
    if (screen.length > screenBytes) screen = screen.subarray(screen.length - screenBytes)
    for (const viewer of viewers) send(viewer, { t: 'out', d: data.toString('base64') })
  })

  const server = createServer((viewer) => {
    viewers.add(viewer)
    viewer.on('error', () => undefined).on('close', () => viewers.delete(viewer))
    send(viewer, { t: 'screen', d: withoutTerminalQueries(screen).toString('base64') })
    const read = lineReader((line) => {
      let frame
      try {
        frame = clientFrameSchema.safeParse(JSON.parse(line))
      } catch {
        return
      }
      if (!frame.success) return
      if (frame.data.t === 'in') vm.write(Buffer.from(frame.data.d, 'base64'))
      else size?.write(`${frame.data.rows} ${frame.data.cols}\n`)
    })
    viewer.on('data', (chunk: Buffer) => {
      if (!read(chunk)) viewer.destroy()
    })
  })
  await rm(options.listen, { force: true })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.listen, resolve))
  await chmod(options.listen, 0o600)

  const reason = await new Promise<string>((resolve) => {
    vm.once('close', () => resolve("the VM's console closed")).on('error', () => undefined)
    stop.addEventListener('abort', () => resolve('the console hub was stopped'), { once: true })
  })
  server.close()
  for (const viewer of viewers) viewer.end(frameLine({ t: 'end', reason }))
  vm.destroy()
  size?.destroy()
  await rm(options.listen, { force: true })
  return reason
}
