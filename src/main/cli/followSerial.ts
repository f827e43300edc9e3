import { setTimeout as sleep } from 'node:timers/promises'
import { instancePaths, type InstanceRecord } from '../runtime/instance/instanceRecord'
import { followLog } from '../runtime/instance/logs/followLog'
import { logPath, type LogStream } from '../runtime/instance/logs/logStreams'
import { isProcessAlive } from '../runtime/state/processIdentity'

/**
 * Copies one of an instance's logs to stdout from the start, then as it grows, until the VMM
 * has exited (or at once when it already has). Ctrl-C stops following; the VM keeps running.
 */
export async function followInstanceLog(record: InstanceRecord, stream: LogStream = 'guest'): Promise<void> {
  const path = logPath(instancePaths(record.name).logs, stream)
  const stop = new AbortController()
  const onInterrupt = (): void => stop.abort()
  process.once('SIGINT', onInterrupt)
  const following = followLog(path, { fromOffset: 0, signal: stop.signal, onData: (chunk) => void process.stdout.write(chunk) })
  try {
    const identity = record.process
    while (!stop.signal.aborted && identity !== undefined && (await isProcessAlive(identity))) await sleep(250)
    // Let the last bytes the VMM wrote arrive before stopping.
    await sleep(300)
    stop.abort()
    await following
  } finally {
    process.off('SIGINT', onInterrupt)
  }
}
