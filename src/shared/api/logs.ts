import { z } from 'zod'
import { channel } from './channel'

export const LOG_STREAM_NAMES = ['guest', 'stdout', 'stderr', 'launch'] as const
export type LogStreamName = (typeof LOG_STREAM_NAMES)[number]

const stream = z.enum(LOG_STREAM_NAMES)
const instanceName = z.string().min(1).max(64)

export const logReadRequestSchema = z
  .object({
    name: instanceName,
    stream,
    /** Byte offset to read from; default 0. */
    offset: z.number().int().min(0).optional(),
    /** At most this many bytes; default 1 MiB, at most 8 MiB. */
    maxBytes: z.number().int().min(1).max(8 * 1024 * 1024).optional()
  })
  .strict()
export type LogReadRequest = z.infer<typeof logReadRequestSchema>

export interface LogChunk {
  /** Text from `offset` up to `nextOffset` (a character cut at the end waits for the next chunk). */
  data: string
  offset: number
  nextOffset: number
  /** The file's size when read. */
  size: number
}

export const logSubscribeRequestSchema = z
  .object({
    name: instanceName,
    stream,
    /** Where to start; default: the end of the log as it is now. */
    offset: z.number().int().min(0).optional()
  })
  .strict()
export type LogSubscribeRequest = z.infer<typeof logSubscribeRequestSchema>

export interface LogSubscription {
  id: string
  /** Where the first chunk will start. */
  offset: number
}

/** New bytes of a followed log, batched (about every 50 ms). */
export interface LogChunkEvent extends LogChunk {
  subscription: string
  name: string
  stream: LogStreamName
  /** The log was rotated or truncated: what was shown before `offset` is in the rotated file. */
  reset?: boolean
}

export const logsApi = {
  read: channel<LogReadRequest, LogChunk>('logs:read', logReadRequestSchema),
  /** Follows a log; chunks arrive as `logs:chunk` events until unsubscribed. */
  subscribe: channel<LogSubscribeRequest, LogSubscription>('logs:subscribe', logSubscribeRequestSchema),
  unsubscribe: channel<{ id: string }, { id: string }>('logs:unsubscribe', z.object({ id: z.string().min(1).max(64) }).strict())
} as const
