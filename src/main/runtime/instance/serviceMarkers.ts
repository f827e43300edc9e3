import { open, stat } from 'node:fs/promises'
import { parseGuestMarker, type GuestMarker } from '../vmm/guestMarkers'

interface ScannedLog {
  /** Which file this is: inode and birth time (an inode number alone can be reused after a purge). */
  identity: string
  /** Bytes read so far; everything before it has been scanned. */
  offset: number
  /** An unfinished last line, kept for when the rest arrives. */
  tail: string
  markers: GuestMarker[]
}

/**
 * What has been read of each serial log in this process. The status is asked for often (the
 * app's instance poll every second, every `bpvm ls`), and a guest log can be megabytes: only the
 * bytes appended since the last call are read. A log that was replaced (rotated at a launch) or
 * shrank (copy-truncated) is read again from its start.
 */
const scanned = new Map<string, ScannedLog>()

/** The service's start and exit as the guest reported them on its serial console, in order. */
export async function serviceMarkers(serialLog: string): Promise<GuestMarker[]> {
  const info = await stat(serialLog).catch(() => undefined)
  if (!info) {
    scanned.delete(serialLog)
    return []
  }
  const identity = `${info.ino}:${info.birthtimeMs}`
  let log = scanned.get(serialLog)
  if (!log || log.identity !== identity || info.size < log.offset) log = { identity, offset: 0, tail: '', markers: [] }
  if (info.size > log.offset) {
    const handle = await open(serialLog, 'r')
    try {
      const fresh = Buffer.alloc(info.size - log.offset)
      const { bytesRead } = await handle.read(fresh, 0, fresh.length, log.offset)
      const lines = (log.tail + fresh.subarray(0, bytesRead).toString('latin1')).split('\n')
      log.tail = lines.pop() ?? ''
      log.markers.push(...lines.flatMap((line) => parseGuestMarker(line) ?? []))
      log.offset += bytesRead
    } finally {
      await handle.close()
    }
  }
  scanned.set(serialLog, log)
  // A marker on a last line that has no newline yet counts too.
  const last = parseGuestMarker(log.tail)
  return last ? [...log.markers, last] : [...log.markers]
}
