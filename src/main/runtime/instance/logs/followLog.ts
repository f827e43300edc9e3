import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { readLog } from './readLog'
import { rotatedPath } from './rotateLog'

// Well inside the 100 ms a follower promises even where fs.watch reports nothing (NFS, 9p, overlay).
const POLL_MS = 50
const CHUNK_BYTES = 1024 * 1024

export interface FollowLogOptions {
  /** Where to start: 0 (the default) delivers what the file already holds. */
  fromOffset?: number
  /** The `fileId` and `tail` of the read that gave `fromOffset`, so a rotation since then is noticed. */
  fileId?: string
  tail?: Buffer
  /** Stops following; the promise then resolves once no watcher, timer or file is left open. */
  signal: AbortSignal
  /** New bytes, in order, never after the signal aborted. */
  onData: (data: Buffer) => void
  /** The file was rotated or truncated: what follows comes from the start of the new file. */
  onRotated?: () => void
}

/**
 * Follows a log as it grows, like `tail -F`: the file may appear later, and across a rotation or
 * truncation the bytes left in `.1` are delivered before the new file from its start. New bytes
 * arrive within ~50 ms: fs.watch on the directory wakes it at once, a poll covers filesystems
 * where fs.watch is silent. Resolves when `signal` aborts; rejects if reading fails or `onData` throws.
 */
export function followLog(path: string, options: FollowLogOptions): Promise<void> {
  const { signal, onData, onRotated } = options
  let offset = options.fromOffset ?? 0
  let fileId = options.fileId
  let tail = options.tail
  return new Promise<void>((resolve, reject) => {
    let wanted = false
    let reading = false
    let finished = false
    const timer = setInterval(wake, POLL_MS)
    // Retried once the file exists: its directory may not have at the start.
    let watcher = watchDirectory(path, wake)

    function finish(error?: unknown): void {
      if (finished) return
      finished = true
      clearInterval(timer)
      watcher?.close()
      signal.removeEventListener('abort', onAbort)
      if (error === undefined) resolve()
      else reject(error)
    }

    // A read in flight still holds the file open: the loop finishes once it is back.
    function onAbort(): void {
      if (!reading) finish()
    }

    function wake(): void {
      wanted = true
      if (!reading && !finished) void drain()
    }

    async function drain(): Promise<void> {
      reading = true
      try {
        while (wanted && !signal.aborted) {
          wanted = false
          const chunk = await readLog(path, { offset, fileId, tail, maxBytes: CHUNK_BYTES, withRotated: true })
          if (signal.aborted) break
          offset = chunk.nextOffset
          fileId = chunk.fileId
          tail = chunk.tail
          if (chunk.rotated) onRotated?.()
          if (chunk.data.length > 0 && !signal.aborted) onData(chunk.data)
          if (!watcher && fileId !== undefined) watcher = watchDirectory(path, wake)
          // More than one chunk was waiting: go on without waiting for the next wake-up.
          if (offset < chunk.size) wanted = true
        }
      } catch (error) {
        reading = false
        // Once stopped, a read that failed meanwhile no longer matters to the caller.
        finish(signal.aborted ? undefined : error)
        return
      }
      reading = false
      if (signal.aborted) finish()
    }

    if (signal.aborted) return finish()
    signal.addEventListener('abort', onAbort, { once: true })
    wake()
  })
}

/** Watches the log's directory (the file itself may not exist yet, or be renamed away); undefined if it cannot. */
function watchDirectory(path: string, onChange: () => void): FSWatcher | undefined {
  const names = new Set([basename(path), basename(rotatedPath(path))])
  try {
    const watcher = watch(dirname(path), (_event, name) => {
      if (name === null || names.has(name.toString())) onChange()
    })
    // Out of inotify watches, or the directory went away: the poll carries on alone.
    watcher.on('error', () => watcher.close())
    return watcher
  } catch {
    return undefined
  }
}
