import { open } from 'node:fs/promises'
import { parseGuestMarker } from '../vmm/guestMarkers'

const POLL_MS = 1_000
const MAX_READ = 1024 * 1024

/**
 * Calls `onStarted` once the guest's serial log shows the service-started marker, reading what
 * is new about once a second; stops when called back or `stop()`ped. The host time of the marker
 * is when this saw it, at most a poll late.
 */
export function watchServiceStart(serialLog: string, onStarted: () => void): { stop: () => void } {
  let offset = 0
  let partial = ''
  let stopped = false
  const poll = async (): Promise<void> => {
    const handle = await open(serialLog, 'r').catch(() => undefined)
    if (!handle) return
    try {
      const { size } = await handle.stat()
      if (size < offset) offset = 0
      const length = Math.min(size - offset, MAX_READ)
      if (length <= 0) return
      const buffer = Buffer.alloc(length)
      const { bytesRead } = await handle.read(buffer, 0, length, offset)
      offset += bytesRead
      const lines = (partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n')
      partial = (lines.pop() ?? '').slice(-4096)
      if (lines.some((line) => parseGuestMarker(line)?.event === 'service-started')) {
        stopped = true
        onStarted()
      }
    } finally {
      await handle.close()
    }
  }
  const timer = setInterval(() => {
    if (!stopped) void poll().catch(() => undefined)
  }, POLL_MS)
  return {
    stop: () => {
      stopped = true
      clearInterval(timer)
    }
  }
}
