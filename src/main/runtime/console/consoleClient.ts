import { createConnection, type Socket } from 'node:net'
import { BpvmError } from '../../../shared/errors'
import { frameLine, lineReader, type HubFrame } from './consoleFrames'

export interface ConsoleViewer {
  /** Bytes typed, as they are. */
  input(data: Buffer): void
  /** The viewer's window size; the guest's shell is told. */
  resize(rows: number, cols: number): void
  /** Leaves the console; the VM and the other viewers are not touched. */
  detach(): void
}

export interface ConsoleViewing {
  /** On attaching: the last of what the console printed (the screen as it is). */
  onScreen(data: Buffer): void
  onOutput(data: Buffer): void
  /** The console went (the VM stopped), or the connection to the hub broke. */
  onEnd(reason: string): void
}

/** How long the hub may take to send the screen after accepting a viewer. */
const SCREEN_TIMEOUT_MS = 5_000

/** Connects to an instance's console hub as one more viewer; resolves once the screen has been handed to `onScreen`. */
export async function viewConsole(hubSocket: string, name: string, viewing: ConsoleViewing): Promise<ConsoleViewer> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection(hubSocket)
    s.once('connect', () => resolve(s)).once('error', reject)
  }).catch((error: NodeJS.ErrnoException) => {
    throw new BpvmError('CONSOLE_UNAVAILABLE', `${name} has no console to attach to (${error.code ?? error.message}): is it running, and was it launched by this version?`, { name })
  })
  let ended = false
  let screenSeen: () => void = () => undefined
  const screen = new Promise<void>((resolve) => (screenSeen = resolve))
  const end = (reason: string): void => {
    if (ended) return
    ended = true
    viewing.onEnd(reason)
  }
  const read = lineReader((line) => {
    let frame: HubFrame
    try {
      frame = JSON.parse(line) as HubFrame
    } catch {
      return
    }
    if (frame.t === 'screen') {
      viewing.onScreen(Buffer.from(frame.d, 'base64'))
      screenSeen()
    }
    else if (frame.t === 'out') viewing.onOutput(Buffer.from(frame.d, 'base64'))
    else if (frame.t === 'end') end(frame.reason)
  })
  socket.on('data', (chunk: Buffer) => void read(chunk))
  socket.on('error', () => undefined).on('close', () => {
    end('the console hub closed the connection')
    screenSeen()
  })
  const timer = setTimeout(screenSeen, SCREEN_TIMEOUT_MS)
  await screen
  clearTimeout(timer)
  return {
    input: (data) => void socket.write(frameLine({ t: 'in', d: data.toString('base64') })),
    resize: (rows, cols) => void socket.write(frameLine({ t: 'size', rows: Math.max(1, Math.min(1000, rows)), cols: Math.max(1, Math.min(1000, cols)) })),
    detach: () => {
      ended = true
      socket.end()
    }
  }
}
