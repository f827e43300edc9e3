import { setTimeout as sleep } from 'node:timers/promises'
import { BpvmError } from '../../shared/errors'
import { checkInstanceName, instancePaths, readInstance, type InstanceRecord } from '../../main/runtime/instance/instanceRecord'
import { followLog } from '../../main/runtime/instance/logs/followLog'
import { logPath, type LogStream } from '../../main/runtime/instance/logs/logStreams'
import { readLog } from '../../main/runtime/instance/logs/readLog'
import { isProcessAlive } from '../../main/runtime/state/processIdentity'

export { LOG_STREAMS, logStreamSchema, type LogStream } from '../../main/runtime/instance/logs/logStreams'

export interface WholeLog {
  name: string
  stream: LogStream
  path: string
  text: string
}

async function recordOf(name: string): Promise<InstanceRecord> {
  const record = await readInstance(checkInstanceName(name))
  if (!record) throw new BpvmError('INSTANCE_NOT_FOUND', `no instance called ${name}`, { name })
  return record
}

/** One of an instance's logs, whole, as text (the current file; rotated parts are not included). */
export async function readWholeLog(name: string, stream: LogStream): Promise<WholeLog> {
  await recordOf(name)
  const path = logPath(instancePaths(name).logs, stream)
  const chunks: Buffer[] = []
  for (let offset = 0; ; ) {
    const chunk = await readLog(path, { offset })
    if (chunk.data.length === 0) break
    chunks.push(chunk.data)
    offset = chunk.nextOffset
  }
  return { name, stream, path, text: Buffer.concat(chunks).toString('utf8') }
}

/**
 * Hands one of an instance's logs to `onData` from the start, then as it grows, until the VMM
 * has exited (at once when it already has) or `signal` fires. The VM is not touched.
 */
export async function followInstanceLog(name: string, stream: LogStream, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
  const record = await recordOf(name)
  const path = logPath(instancePaths(name).logs, stream)
  const stop = new AbortController()
  const onAbort = (): void => stop.abort()
  signal.addEventListener('abort', onAbort, { once: true })
  const following = followLog(path, { fromOffset: 0, signal: stop.signal, onData })
  try {
    const identity = record.process
    while (!stop.signal.aborted && identity !== undefined && (await isProcessAlive(identity))) await sleep(250)
    // Let the last bytes the VMM wrote arrive before stopping.
    await sleep(300)
    stop.abort()
    await following
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
