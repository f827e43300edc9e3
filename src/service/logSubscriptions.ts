import { randomUUID } from 'node:crypto'
import type { LogChunkEvent, LogSubscribeRequest, LogSubscription } from '../shared/api'
import { BpvmError } from '../shared/errors'
import { instancePaths } from '../main/runtime/instance/instanceRecord'
import { followLog } from '../main/runtime/instance/logs/followLog'
import { logPath } from '../main/runtime/instance/logs/logStreams'
import { readLog } from '../main/runtime/instance/logs/readLog'
import { requireInstance } from './instanceSummaries'
import { wholeUtf8Length } from './utf8Boundary'

export interface LogSubscriptions {
  /** Follows one instance's log from `offset` (default: its end now); chunks go to `emit`. */
  subscribe(request: LogSubscribeRequest): Promise<LogSubscription>
  unsubscribe(id: string): Promise<{ id: string }>
  /** Stops every subscription. */
  close(): Promise<void>
}

export interface LogSubscriptionOptions {
  /** New bytes are gathered this long before they are sent; default 50 ms. */
  batchMs?: number
  /** At most this many at once; default 256. */
  max?: number
}

interface Follower {
  stop(): Promise<void>
}

export function createLogSubscriptions(emit: (chunk: LogChunkEvent) => void, options: LogSubscriptionOptions = {}): LogSubscriptions {
  const { batchMs = 50, max = 256 } = options
  const followers = new Map<string, Follower>()

  async function unsubscribe(id: string): Promise<{ id: string }> {
    const follower = followers.get(id)
    if (!follower) throw new BpvmError('SUBSCRIPTION_NOT_FOUND', `no log subscription ${id}`, { id })
    followers.delete(id)
    await follower.stop()
    return { id }
  }

  return {
    async subscribe(request) {
      if (followers.size >= max) throw new BpvmError('TOO_MANY_SUBSCRIPTIONS', `at most ${max} logs can be followed at once; unsubscribe from some first`, { max })
      const record = await requireInstance(request.name)
      const path = logPath(instancePaths(record.name).logs, request.stream)
      const id = randomUUID()
      const follower = await follow(path, request.offset, batchMs, (chunk) => emit({ subscription: id, name: record.name, stream: request.stream, ...chunk }), () => {
        followers.delete(id)
      })
      followers.set(id, follower)
      return { id, offset: follower.offset }
    },
    unsubscribe,
    async close() {
      await Promise.all([...followers.keys()].map((id) => unsubscribe(id).catch(() => undefined)))
    }
  }
}

type Chunk = Omit<LogChunkEvent, 'subscription' | 'name' | 'stream'>

/**
 * Follows one file and sends what it gains in batches, decoded as UTF-8: a character cut at a
 * batch's end is carried into the next batch, and `nextOffset` stops before it. After a rotation
 * the next chunk is marked `reset` and offsets count from the new file's start (they include the
 * few bytes the old file still got, which `followLog` delivers first, in the same read).
 */
async function follow(path: string, requested: number | undefined, batchMs: number, send: (chunk: Chunk) => void, onFailed: () => void): Promise<Follower & { offset: number }> {
  const start = requested ?? (await readLog(path, { offset: 0, maxBytes: 1 })).size
  // One byte read at `start` gives the file's identity and the bytes before it, so a rotation
  // from now on is noticed; a file shorter than `start` was rotated or truncated already.
  const probe = await readLog(path, { offset: start, maxBytes: 1 })
  let chunkStart = probe.rotated ? 0 : start
  let reset = probe.rotated
  let carry = Buffer.alloc(0)
  let pending: Buffer[] = []
  let timer: NodeJS.Timeout | undefined
  const controller = new AbortController()

  function flush(): void {
    clearTimeout(timer)
    timer = undefined
    if (pending.length === 0) return
    const bytes = Buffer.concat([carry, ...pending])
    pending = []
    const whole = wholeUtf8Length(bytes)
    carry = Buffer.from(bytes.subarray(whole))
    if (whole === 0) return
    send({ data: bytes.subarray(0, whole).toString('utf8'), offset: chunkStart, nextOffset: chunkStart + whole, size: chunkStart + bytes.length, ...(reset ? { reset } : {}) })
    chunkStart += whole
    reset = false
  }

  function onData(data: Buffer): void {
    pending.push(data)
    timer ??= setTimeout(flush, batchMs)
  }

  if (probe.data.length > 0) onData(probe.data)
  const following = followLog(path, {
    fromOffset: probe.nextOffset,
    ...(probe.fileId === undefined ? {} : { fileId: probe.fileId }),
    tail: probe.tail,
    signal: controller.signal,
    onData,
    onRotated() {
      flush()
      chunkStart = 0
      reset = true
    }
  }).catch(() => {
    // The log could not be read any more (its instance purged, say): the subscription ends.
    clearTimeout(timer)
    onFailed()
  })

  return {
    offset: chunkStart,
    async stop() {
      controller.abort()
      clearTimeout(timer)
      await following
    }
  }
}
