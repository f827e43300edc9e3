import { API, API_ERROR_CODES, type BpvmApi } from '../../../shared/api'
import { API_EVENT_NAMES, type ApiEventName, type ApiEvents, type BackendStatus } from '../../../shared/api/events'
import { fail, type Result } from '../../../shared/result'

/** The part of the browser's WebSocket this client uses (tests pass the `ws` package's). */
export interface SocketLike {
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
}

export interface SocketApiOptions {
  /** `ws://host:port/api`; the token travels as a subprotocol `openSocket` offers (see pageToken). */
  url: string
  /** The browser's `new WebSocket(url)`; passed in so this file runs (and is tested) under Node too. */
  openSocket: (url: string) => SocketLike
  /** How long a call made while disconnected waits for the connection before it fails. */
  connectWaitMs?: number
  /** The first reconnect delay, doubled after each failed attempt up to `maxRetryDelayMs`. */
  retryDelayMs?: number
  maxRetryDelayMs?: number
}

/** The API over a WebSocket; `disconnect()` stops it for good (reconnecting included). */
export type SocketApi = BpvmApi & { disconnect(): void }

/** The WebSocket of the server that served the page at `location` (same host and port). */
export function apiSocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api`
}

/** Mirrors the server's limit (src/main/serve/socketProtocol.ts): a bigger frame would close the socket. */
const MAX_FRAME_BYTES = 1024 * 1024

type Listener = (payload: unknown) => void
type ServerFrame = { id?: unknown; result?: Result<unknown>; event?: unknown; payload?: unknown }

const unavailable = (message: string): Result<never> => fail({ code: API_ERROR_CODES.backendUnavailable, message })

/**
 * `BpvmApi` for a page served by `bpvm serve`: every operation of `API` becomes a JSON call over
 * one WebSocket, answered by id; events are re-dispatched to listeners. The socket reconnects with
 * backoff. When it is lost (or comes back) listeners of `backend:status` hear it, since to the page
 * the server is the way to the runtime.
 */
export function createSocketApi(options: SocketApiOptions): SocketApi {
  const connectWaitMs = options.connectWaitMs ?? 3000
  const firstDelay = options.retryDelayMs ?? 250
  const maxDelay = options.maxRetryDelayMs ?? 5000

  const pending = new Map<number, (result: Result<unknown>) => void>()
  const openWaiters = new Set<() => void>()
  const listeners = new Map<ApiEventName, Set<Listener>>()
  let socket: SocketLike | undefined
  let isOpen = false
  // A connection was lost or an attempt failed since the socket was last open.
  let interrupted = false
  let stopped = false
  let nextId = 1
  let retryDelay = firstDelay
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let restarts = 0

  function dispatch(event: ApiEventName, payload: unknown): void {
    if (event === 'backend:status') restarts = (payload as BackendStatus).restarts
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(payload)
      } catch (error) {
        console.error(`a listener of ${event} failed`, error)
      }
    }
  }

  function onMessage(data: unknown): void {
    let frame: ServerFrame
    try {
      frame = JSON.parse(String(data)) as ServerFrame
    } catch {
      return
    }
    if (typeof frame.id === 'number' && frame.result) {
      pending.get(frame.id)?.(frame.result)
      pending.delete(frame.id)
    } else if (typeof frame.event === 'string' && (API_EVENT_NAMES as readonly string[]).includes(frame.event)) {
      dispatch(frame.event as ApiEventName, frame.payload)
    }
  }

  function connect(): void {
    if (stopped || socket) return
    clearTimeout(retryTimer)
    retryTimer = undefined
    const current = options.openSocket(options.url)
    socket = current
    current.addEventListener('open', () => {
      isOpen = true
      retryDelay = firstDelay
      for (const wake of [...openWaiters]) wake()
      if (interrupted) dispatch('backend:status', { state: 'ready', restarts } satisfies BackendStatus)
      interrupted = false
    })
    current.addEventListener('message', (event) => onMessage(event.data))
    // 'error' is always followed by 'close', which cleans up; listening keeps an EventEmitter-based socket from throwing it.
    current.addEventListener('error', () => undefined)
    current.addEventListener('close', () => {
      if (socket !== current) return
      const wasOpen = isOpen
      socket = undefined
      isOpen = false
      for (const settle of pending.values()) settle(unavailable('the connection to the bpvm server closed while the call was in flight; it may or may not have run'))
      pending.clear()
      if (stopped) return
      interrupted = true
      if (wasOpen) dispatch('backend:status', { state: 'restarting', message: 'Lost the connection to the bpvm server; reconnecting…', restarts } satisfies BackendStatus)
      retryTimer = setTimeout(connect, retryDelay)
      retryDelay = Math.min(retryDelay * 2, maxDelay)
    })
  }

  /** True once the socket is open; false after `connectWaitMs`. A waiting call retries at once instead of after the backoff. */
  function whenOpen(): Promise<boolean> {
    if (isOpen) return Promise.resolve(true)
    connect()
    return new Promise((resolve) => {
      const done = (opened: boolean): void => {
        clearTimeout(timer)
        openWaiters.delete(wake)
        resolve(opened)
      }
      const wake = (): void => done(true)
      const timer = setTimeout(() => done(false), connectWaitMs)
      openWaiters.add(wake)
    })
  }

  async function call(channel: string, request: unknown): Promise<Result<unknown>> {
    if (stopped) return unavailable('this connection to the bpvm server was closed')
    if (!(await whenOpen()) || !socket) return unavailable(`cannot reach the bpvm server at ${options.url}: is \`bpvm serve\` still running? (If it was restarted, open the new address it printed.)`)
    const id = nextId++
    const frame = JSON.stringify({ id, channel, request })
    if (new TextEncoder().encode(frame).length > MAX_FRAME_BYTES) {
      return fail({ code: API_ERROR_CODES.invalidArgument, message: `${channel}: the request is bigger than ${MAX_FRAME_BYTES} bytes` })
    }
    const target = socket
    return new Promise((resolve) => {
      pending.set(id, resolve)
      target.send(frame)
    })
  }

  const domains = Object.fromEntries(
    Object.entries(API).map(([domain, verbs]) => [
      domain,
      Object.fromEntries(Object.entries(verbs).map(([verb, spec]) => [verb, (request?: unknown) => call(spec.name, request)]))
    ])
  )

  const api = {
    ...domains,
    events: {
      on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
        if (!API_EVENT_NAMES.includes(event)) throw new Error(`no such event: ${String(event)}`)
        const entry: Listener = (payload) => listener(payload as ApiEvents[E])
        const set = listeners.get(event) ?? new Set<Listener>()
        listeners.set(event, set.add(entry))
        return () => {
          set.delete(entry)
        }
      }
    },
    disconnect(): void {
      stopped = true
      clearTimeout(retryTimer)
      socket?.close(1000, 'closed by the page')
    }
  }
  connect()
  // Built from `API` itself, so it has every domain and verb; the types cannot see through that.
  return api as unknown as SocketApi
}
