import type { RawData, WebSocket } from 'ws'
import { API_ERROR_CODES, type ApiEventName, type ApiEvents, type ValidCall } from '../../shared/api'
import { OWNED_EVENT_NAMES, STREAM_ENDS } from '../../shared/api/events'
import { validateCall } from '../../shared/api/validate'
import { fail, type ErrorInfo, type Result } from '../../shared/result'
import { escapeControls } from '../../shared/terminalText'
import { createLogOwners } from '../../service/logOwners'
import type { ApiBackend } from '../../service/apiBackend'
import { toErrorInfo } from '../../shared/errors'
import { clientFrameSchema, type CallId, type ServerFrame } from './socketProtocol'

/** A browser that stops reading gets cut off rather than growing the server's memory without bound. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/**
 * Calls one connection may have in flight. The page makes a handful at a time; a client that
 * fires hundreds (each `host:doctor` starts a dozen programs) is answered TOO_MANY_CALLS for the
 * ones over, at once, instead of loading the host.
 */
export const MAX_CALLS_IN_FLIGHT = 16

export interface ApiSocketHub {
  /** Serves the API on one accepted WebSocket until it closes. */
  accept(socket: WebSocket): void
  /** Stops listening to the backend and closes every socket (cut off after a second if it does not answer). */
  close(): Promise<void>
}

export interface HubOptions {
  /** Called once per call, with its arguments cut short. */
  debug?: (line: string) => void
}

const cut = (value: unknown, max = 200): string => {
  // JSON writes C0 controls as escapes; the rest (C1, bidirectional) are a browser's choice too.
  const text = escapeControls(JSON.stringify(value) ?? 'undefined')
  return text.length > max ? `${text.slice(0, max)}…` : text
}

const asBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data))

/**
 * Carries API calls from browsers to the backend and events back. Every call passes
 * `validateCall` first, so a malformed one never reaches the runtime. Events go to every
 * socket, except log chunks, which go only to the socket that subscribed; a socket that goes
 * away takes its log subscriptions with it. A new socket hears the runtime's last status first.
 */
export function createApiSocketHub(backend: ApiBackend, options: HubOptions = {}): ApiSocketHub {
  const sockets = new Set<WebSocket>()
  const inFlight = new Map<WebSocket, number>()
  const logOwners = createLogOwners<WebSocket>(backend)
  // A page that connects late (or again) learns the runtime's state without waiting for a change.
  let lastStatus: ApiEvents['backend:status'] | undefined

  const send = (socket: WebSocket, frame: ServerFrame): void => {
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.close(1008, 'not reading fast enough')
      return
    }
    socket.send(JSON.stringify(frame))
  }

  const stopListening = backend.onEvent((event, payload) => {
    if (OWNED_EVENT_NAMES.has(event as ApiEventName)) {
      const { subscription } = payload as ApiEvents['logs:chunk' | 'console:output' | 'console:ended']
      const owner = logOwners.ownerOf(subscription)
      if (owner) send(owner, { event: event as ApiEventName, payload })
      if (event === 'console:ended') logOwners.forget(subscription)
      return
    }
    if (event === 'backend:status') lastStatus = payload as ApiEvents['backend:status']
    for (const socket of sockets) send(socket, { event: event as ApiEventName, payload })
  })

  /** One call to the backend; a socket owns the log subscriptions and console sessions it opens. */
  async function forward(socket: WebSocket, call: ValidCall): Promise<Result<unknown>> {
    // The socket may have gone while the stream was being opened.
    if (call.channel === 'logs:subscribe') {
      const result = await backend.call(call.channel, call.request)
      if (result.ok) logOwners.add(result.value.id, socket, sockets.has(socket), STREAM_ENDS[call.channel])
      return result
    }
    if (call.channel === 'console:attach') {
      const result = await backend.call(call.channel, call.request)
      if (result.ok) logOwners.add(result.value.id, socket, sockets.has(socket), STREAM_ENDS[call.channel])
      return result
    }
    const result = await backend.call(call.channel, call.request)
    if (result.ok && (call.channel === 'logs:unsubscribe' || call.channel === 'console:detach')) logOwners.forget(call.request.id)
    return result
  }

  async function answer(socket: WebSocket, id: CallId, channel: unknown, request: unknown): Promise<void> {
    const checked = validateCall(channel, request)
    if (!checked.ok) {
      send(socket, { id, result: checked })
      return
    }
    options.debug?.(`api ${checked.value.channel} ${cut(checked.value.request)}`)
    let result: Result<unknown>
    try {
      result = await forward(socket, checked.value)
    } catch (error) {
      // The backend promises never to throw; if it does, the browser still gets an answer.
      result = fail(toErrorInfo(error))
    }
    send(socket, { id, result })
  }

  function onFrame(socket: WebSocket, data: RawData, isBinary: boolean): void {
    const refuse = (message: string, id?: CallId): void => {
      const error: ErrorInfo = { code: API_ERROR_CODES.invalidArgument, message }
      send(socket, id === undefined ? { error } : { id, result: fail(error) })
    }
    if (isBinary) return refuse('binary frames are not accepted: send JSON text')
    let frame: unknown
    try {
      frame = JSON.parse(asBuffer(data).toString('utf8'))
    } catch {
      return refuse('the frame is not JSON')
    }
    const parsed = clientFrameSchema.safeParse(frame)
    if (!parsed.success) {
      const id = clientFrameSchema.shape.id.safeParse((frame as { id?: unknown } | null)?.id)
      return refuse('a call is { id, channel, request }', id.success ? id.data : undefined)
    }
    const running = inFlight.get(socket) ?? 0
    if (running >= MAX_CALLS_IN_FLIGHT) {
      const error: ErrorInfo = { code: API_ERROR_CODES.tooManyCalls, message: `this connection already has ${MAX_CALLS_IN_FLIGHT} calls in flight; wait for their answers` }
      send(socket, { id: parsed.data.id, result: fail(error) })
      return
    }
    inFlight.set(socket, running + 1)
    void answer(socket, parsed.data.id, parsed.data.channel, parsed.data.request).finally(() => {
      if (sockets.has(socket)) inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1)
    })
  }

  return {
    accept(socket) {
      sockets.add(socket)
      socket.on('message', (data, isBinary) => onFrame(socket, data, isBinary))
      socket.on('error', () => socket.terminate())
      socket.once('close', () => {
        sockets.delete(socket)
        inFlight.delete(socket)
        logOwners.release(socket)
      })
      if (lastStatus) send(socket, { event: 'backend:status', payload: lastStatus })
    },
    async close() {
      stopListening()
      await Promise.all(
        [...sockets].map(
          (socket) =>
            new Promise<void>((resolve) => {
              const cutOff = setTimeout(() => socket.terminate(), 1000)
              socket.once('close', () => {
                clearTimeout(cutOff)
                resolve()
              })
              socket.close(1001, 'server shutting down')
            })
        )
      )
    }
  }
}
