import { z } from 'zod'
import type { ApiEventName, ApiEvents } from '../../shared/api'
import type { ErrorInfo, Result } from '../../shared/result'

/**
 * The headless API over one WebSocket, as JSON text frames. The browser sends calls,
 * `{ id, channel, request }`; the server answers each with the call's `id`, and pushes events as
 * they happen. The renderer's client (src/renderer/src/api/socketApi.ts) speaks the same.
 */
export type ServerFrame =
  | { id: CallId; result: Result<unknown> }
  | { event: ApiEventName; payload: ApiEvents[ApiEventName] }
  /** A frame that could not be read as a call at all (not JSON, no id): nothing ran. */
  | { error: ErrorInfo }

export type CallId = string | number

/** The biggest frame either side takes; a bigger one closes the socket (code 1009). */
export const MAX_FRAME_BYTES = 1024 * 1024

/** The path of the WebSocket, on the same origin as the page. */
export const API_SOCKET_PATH = '/api'

const callIdSchema = z.union([z.string().min(1).max(64), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)])

/** The envelope only: `validateCall` checks the channel and the request. */
export const clientFrameSchema = z.object({ id: callIdSchema, channel: z.unknown(), request: z.unknown().optional() }).strict()
