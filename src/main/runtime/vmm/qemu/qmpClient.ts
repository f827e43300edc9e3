import { connect, type Socket } from 'node:net'
import { BpvmError } from '../../../../shared/errors'

/** An asynchronous QMP event (`POWERDOWN`, `SHUTDOWN`, …), as QEMU sent it. */
export interface QmpEvent {
  event: string
  data?: Record<string, unknown>
  timestamp?: { seconds: number; microseconds: number }
}

export interface QmpStatus {
  /** QEMU's RunState: `running`, `paused`, `prelaunch`, `shutdown`, `guest-panicked`, … */
  status: string
  running: boolean
}

interface Pending {
  command: string
  resolve: (value: unknown) => void
  reject: (error: BpvmError) => void
  timer: NodeJS.Timeout
}

type QmpMessage = { QMP?: unknown; event?: string; return?: unknown; error?: { class?: string; desc?: string }; id?: unknown }

const DEFAULT_TIMEOUT_MS = 5_000

/**
 * One QMP session over QEMU's Unix socket. Replies are matched to commands by `id`, because
 * QEMU may send events between a command and its reply; events are kept and passed on.
 */
export class QmpClient {
  /** Every event received so far, oldest first. */
  readonly events: QmpEvent[] = []
  private readonly pending = new Map<string, Pending>()
  private readonly listeners = new Set<(event: QmpEvent) => void>()
  private nextId = 1
  private buffered = ''
  private closed = false

  private constructor(
    private readonly socket: Socket,
    readonly greeting: Record<string, unknown>
  ) {}

  /** Connects and reads the greeting; fails with QMP_CONNECT_FAILED when none arrives in time. */
  static connect(socketPath: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath)
      let buffered = ''
      const fail = (why: string): void => {
        clearTimeout(timer)
        socket.destroy()
        reject(new BpvmError('QMP_CONNECT_FAILED', `no QMP greeting on ${socketPath}: ${why}`, { socket: socketPath }))
      }
      const timer = setTimeout(() => fail(`nothing within ${timeoutMs} ms`), timeoutMs)
      const onData = (chunk: Buffer): void => {
        buffered += chunk.toString('utf8')
        const end = buffered.indexOf('\n')
        if (end < 0) return
        const message = parseLine(buffered.slice(0, end))
        if (!message?.QMP) return fail(`expected a greeting, got ${buffered.slice(0, 200)}`)
        clearTimeout(timer)
        socket.off('data', onData).off('error', onError).off('close', onClose)
        const client = new QmpClient(socket, message as Record<string, unknown>)
        client.attach(buffered.slice(end + 1))
        resolve(client)
      }
      const onError = (error: Error): void => fail(error.message)
      const onClose = (): void => fail('the connection closed')
      socket.on('data', onData).once('error', onError).once('close', onClose)
    })
  }

  /** Leaves capabilities negotiation mode; QEMU accepts no other command before it. */
  async capabilities(timeoutMs?: number): Promise<void> {
    await this.execute('qmp_capabilities', undefined, timeoutMs)
  }

  async queryStatus(timeoutMs?: number): Promise<QmpStatus> {
    return (await this.execute('query-status', undefined, timeoutMs)) as QmpStatus
  }

  /** Presses the ACPI power button; the reply comes before the guest has done anything about it. */
  async systemPowerdown(): Promise<void> {
    await this.execute('system_powerdown')
  }

  /** Ends QEMU; the connection closing first counts as done, since that is what quitting does. */
  async quit(timeoutMs?: number): Promise<void> {
    await this.execute('quit', undefined, timeoutMs).catch((error: unknown) => {
      if (!(error instanceof BpvmError && error.code === 'QMP_CLOSED')) throw error
    })
  }

  /** Sends a command and resolves with its `return` value; an `error` reply becomes QMP_ERROR. */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError(command))
    const id = `bpvm-${this.nextId++}`
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new BpvmError('QMP_TIMEOUT', `QEMU did not answer ${command} within ${timeoutMs} ms`, { command }))
      }, timeoutMs)
      this.pending.set(id, { command, resolve, reject, timer })
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`)
    })
  }

  /** Calls `listener` for every later event; returns the unsubscribe function. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The first event named `name`, already received or still to come; fails after `timeoutMs`. */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    const seen = this.events.find((e) => e.event === name)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe()
        reject(new BpvmError('QMP_TIMEOUT', `no ${name} event from QEMU within ${timeoutMs} ms`, { event: name }))
      }, timeoutMs)
      const unsubscribe = this.onEvent((event) => {
        if (event.event !== name) return
        clearTimeout(timer)
        unsubscribe()
        resolve(event)
      })
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  close(): void {
    this.socket.destroy()
    this.finish()
  }

  private attach(rest: string): void {
    this.socket.on('data', (chunk: Buffer) => this.consume(chunk.toString('utf8')))
    // A socket error is followed by `close`, which fails whatever is still waiting.
    this.socket.on('error', () => undefined)
    this.socket.once('close', () => this.finish())
    this.consume(rest)
  }

  /** QEMU ends every message with CRLF; a message may arrive split over several chunks. */
  private consume(text: string): void {
    this.buffered += text
    let end: number
    while ((end = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, end)
      this.buffered = this.buffered.slice(end + 1)
      this.handle(parseLine(line))
    }
  }

  private handle(message: QmpMessage | undefined): void {
    if (!message) return
    if (typeof message.event === 'string') {
      const event = message as QmpEvent
      this.events.push(event)
      for (const listener of this.listeners) listener(event)
      return
    }
    if (!('return' in message) && !('error' in message)) return
    // QEMU omits the id only when it could not read the command at all; that is the oldest one.
    const id = typeof message.id === 'string' ? message.id : this.pending.keys().next().value
    const waiting = id === undefined ? undefined : this.pending.get(id)
    if (!waiting || id === undefined) return
    this.pending.delete(id)
    clearTimeout(waiting.timer)
    if (message.error) {
      const qmpClass = message.error.class ?? 'GenericError'
      const desc = message.error.desc ?? 'no description'
      waiting.reject(new BpvmError('QMP_ERROR', `QEMU refused ${waiting.command}: ${desc}`, { command: waiting.command, class: qmpClass, desc }))
    } else {
      waiting.resolve(message.return)
    }
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id)
      clearTimeout(waiting.timer)
      waiting.reject(closedError(waiting.command))
    }
  }
}

const closedError = (command: string): BpvmError =>
  new BpvmError('QMP_CLOSED', `the QMP connection closed before QEMU answered ${command}`, { command })

function parseLine(line: string): QmpMessage | undefined {
  const text = line.trim()
  if (text === '') return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as QmpMessage) : undefined
  } catch {
    return undefined
  }
}
