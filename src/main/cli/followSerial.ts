import { open } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { instancePaths, type InstanceRecord } from '../runtime/instance/instanceRecord'
import { isProcessAlive } from '../runtime/state/processIdentity'

/** Copies the guest's serial log to stdout as it grows, until the VMM has exited. */
export async function followUntilStopped(record: InstanceRecord): Promise<void> {
  const { serialLog } = instancePaths(record.name)
  const identity = record.process
  let offset = 0
  for (;;) {
    const alive = identity !== undefined && (await isProcessAlive(identity))
    const file = await open(serialLog, 'r').catch(() => undefined)
    if (file) {
      try {
        const chunk = Buffer.alloc(64 * 1024)
        for (;;) {
          const { bytesRead } = await file.read(chunk, 0, chunk.length, offset)
          if (bytesRead === 0) break
          process.stdout.write(chunk.subarray(0, bytesRead))
          offset += bytesRead
        }
      } finally {
        await file.close()
      }
    }
    if (!alive) return
    await sleep(100)
  }
}
