import { API, type LogChunk, type LogReadRequest } from '../shared/api'
import { instancePaths } from '../main/runtime/instance/instanceRecord'
import { logPath } from '../main/runtime/instance/logs/logStreams'
import { DEFAULT_READ_BYTES, readLog } from '../main/runtime/instance/logs/readLog'
import { handle, type HandlerEntry } from './channelHandler'
import { requireInstance } from './instanceSummaries'
import type { LogSubscriptions } from './logSubscriptions'
import { wholeUtf8Length } from './utf8Boundary'

export function logHandlers(subscriptions: LogSubscriptions): HandlerEntry[] {
  return [
    handle(API.logs.read, readLogText),
    handle(API.logs.subscribe, (request) => subscriptions.subscribe(request)),
    handle(API.logs.unsubscribe, ({ id }) => subscriptions.unsubscribe(id))
  ]
}

/** A page of a log as text; a character cut at the end is left for the next read (`nextOffset` stops before it). */
async function readLogText({ name, stream, offset = 0, maxBytes = DEFAULT_READ_BYTES }: LogReadRequest): Promise<LogChunk> {
  const record = await requireInstance(name)
  const chunk = await readLog(logPath(instancePaths(record.name).logs, stream), { offset, maxBytes })
  // A file shorter than `offset` was rotated or truncated: the text is from its start.
  const start = chunk.rotated ? 0 : offset
  const whole = wholeUtf8Length(chunk.data)
  // A `maxBytes` smaller than one character would never get past it: that character comes as it is.
  const taken = whole === 0 && chunk.data.length >= maxBytes ? chunk.data.length : whole
  return { data: chunk.data.subarray(0, taken).toString('utf8'), offset: start, nextOffset: start + taken, size: chunk.size }
}
