import { open, stat } from 'node:fs/promises'
import { parseCloudInitLine } from '../vmm/cloudInitLines'
import { parseGuestMarker, type GuestMarker } from '../vmm/guestMarkers'

/** A cloud-init failure or warning, at its 1-based line in the guest log. */
export interface CloudInitProblem {
  line: number
  kind: 'failed' | 'warning'
  text: string
}

/** What the guest's serial log says so far: the service's markers and cloud-init's outcome. */
export interface GuestLogFacts {
  markers: GuestMarker[]
  cloudInit: { finished: boolean; problems: CloudInitProblem[] }
}

// A guest that warns in a loop must not grow this without bound.
const MAX_PROBLEMS = 50

interface ScannedLog {
  /** Which file this is: inode and birth time (an inode number alone can be reused after a purge). */
  identity: string
  /** Bytes read so far; everything before it has been scanned. */
  offset: number
  /** An unfinished last line, kept for when the rest arrives. */
  tail: string
  /** Complete lines read so far. */
  lines: number
  markers: GuestMarker[]
  cloudInitFinished: boolean
  problems: CloudInitProblem[]
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
  return (await guestLogFacts(serialLog)).markers
}

function scanLine(log: ScannedLog, line: string): void {
  log.lines += 1
  const marker = parseGuestMarker(line)
  if (marker) log.markers.push(marker)
  const cloudInit = parseCloudInitLine(line)
  if (cloudInit?.kind === 'finished') log.cloudInitFinished = true
  else if (cloudInit && log.problems.length < MAX_PROBLEMS) log.problems.push({ line: log.lines, kind: cloudInit.kind, text: cloudInit.text })
}

/** The service's markers and cloud-init's outcome as the guest printed them, read incrementally. */
export async function guestLogFacts(serialLog: string): Promise<GuestLogFacts> {
  const info = await stat(serialLog).catch(() => undefined)
  if (!info) {
    scanned.delete(serialLog)
    return { markers: [], cloudInit: { finished: false, problems: [] } }
  }
  const identity = `${info.ino}:${info.birthtimeMs}`
  let log = scanned.get(serialLog)
  if (!log || log.identity !== identity || info.size < log.offset) log = { identity, offset: 0, tail: '', lines: 0, markers: [], cloudInitFinished: false, problems: [] }
  if (info.size > log.offset) {
    const handle = await open(serialLog, 'r')
    try {
      const fresh = Buffer.alloc(info.size - log.offset)
      const { bytesRead } = await handle.read(fresh, 0, fresh.length, log.offset)
      const lines = (log.tail + fresh.subarray(0, bytesRead).toString('latin1')).split('\n')
      log.tail = lines.pop() ?? ''
      for (const line of lines) scanLine(log, line)
      log.offset += bytesRead
    } finally {
      await handle.close()
    }
  }
  scanned.set(serialLog, log)
  // A marker on a last line that has no newline yet counts too.
  const last = parseGuestMarker(log.tail)
  return {
    markers: last ? [...log.markers, last] : [...log.markers],
    cloudInit: { finished: log.cloudInitFinished, problems: [...log.problems] }
  }
}
