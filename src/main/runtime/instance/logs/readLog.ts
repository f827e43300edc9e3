import type { BigIntStats } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { invalidInput } from '../../../../shared/errors'
import { rotatedPath } from './rotateLog'

export const DEFAULT_READ_BYTES = 1024 * 1024
// Enough to tell one log's bytes from another's, little enough to read again on every call.
const TAIL_BYTES = 64

export interface ReadLogOptions {
  /** Where to go on from: the previous read's `nextOffset`; default 0. */
  offset?: number
  /** The most bytes one call returns; default 1 MiB. */
  maxBytes?: number
  /** The previous read's `fileId`: a file replaced under the same name (renamed away) is a rotation. */
  fileId?: string
  /** The previous read's `tail`: a file that no longer holds it just before `offset` was truncated and written again. */
  tail?: Buffer
  /** On a rotation, first return what `<path>.1` holds after `offset`: the bytes written since the previous read. */
  withRotated?: boolean
}

export interface LogChunk {
  data: Buffer
  /** The offset in the current file to pass to the next read. */
  nextOffset: number
  /** The current file's size when it was read; 0 when it does not exist. */
  size: number
  /** The file was rotated or truncated since `offset`: `data` comes from the start of the current file. */
  rotated: boolean
  /** Which file was read (device and inode), for the next read; undefined when there is none yet. */
  fileId: string | undefined
  /** The current file's last bytes before `nextOffset`, for the next read. */
  tail: Buffer
  /** Bytes of the `.1` part past `offset` that did not fit into `maxBytes` and were left out. */
  skipped: number
}

/**
 * Reads a log by offset, at most `maxBytes` per call, so a caller can page through a big log
 * or poll a growing one. A log that does not exist yet reads as empty. Without `fileId` and
 * `tail` a rotation shows only while the new file is still shorter than `offset`.
 */
export async function readLog(path: string, options: ReadLogOptions = {}): Promise<LogChunk> {
  const { offset = 0, maxBytes = DEFAULT_READ_BYTES, fileId, tail, withRotated = false } = options
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidInput('offset', `${offset} is not a byte offset`)
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw invalidInput('maxBytes', `${maxBytes} is not a positive whole number of bytes`)
  const file = await openIfExists(path)
  try {
    const stats = await file?.stat({ bigint: true })
    const size = Number(stats?.size ?? 0n)
    const id = stats && idOf(stats)
    if (!file && offset === 0 && fileId === undefined) {
      return { data: Buffer.alloc(0), nextOffset: 0, size, rotated: false, fileId: id, tail: Buffer.alloc(0), skipped: 0 }
    }
    if (file && offset <= size && (fileId === undefined || id === fileId)) {
      // Read from a little before `offset`: those bytes check `tail` and make the next one.
      const back = Math.min(TAIL_BYTES, offset)
      const span = await readAt(file, offset - back, back + Math.min(maxBytes, size - offset))
      if (span.length >= back && endsWith(span.subarray(0, back), tail)) {
        const data = span.subarray(back)
        return { data, nextOffset: offset + data.length, size, rotated: false, fileId: id, tail: lastBytes(span), skipped: 0 }
      }
    }
    const renamedId = fileId !== undefined && fileId !== id ? fileId : undefined
    const previous = withRotated ? await rotatedTail(path, offset, maxBytes, renamedId, tail) : undefined
    const kept = previous?.data ?? Buffer.alloc(0)
    const data = await readAt(file, 0, Math.min(maxBytes - kept.length, size))
    const chunk = Buffer.concat([kept, data])
    return { data: chunk, nextOffset: data.length, size, rotated: true, fileId: id, tail: lastBytes(data), skipped: previous?.skipped ?? 0 }
  } finally {
    await file?.close()
  }
}

/**
 * What `.1` holds past `offset`, if it is the file that was read up to there: the same file
 * renamed (`renamedId`), or a copy that holds `tail` just before `offset`. Without `tail`, any
 * `.1` at least `offset` long is taken for the copy: a guess, as an old `.1` looks the same.
 */
async function rotatedTail(path: string, offset: number, maxBytes: number, renamedId?: string, tail?: Buffer): Promise<{ data: Buffer; skipped: number } | undefined> {
  const file = await openIfExists(rotatedPath(path))
  if (!file) return undefined
  try {
    const stats = await file.stat({ bigint: true })
    const size = Number(stats.size)
    if (size < offset || (renamedId !== undefined && idOf(stats) !== renamedId)) return undefined
    const back = Math.min(tail?.length ?? 0, offset)
    const span = await readAt(file, offset - back, back + Math.min(maxBytes, size - offset))
    if (renamedId === undefined && !endsWith(span.subarray(0, back), tail)) return undefined
    const data = span.subarray(back)
    return { data, skipped: size - offset - data.length }
  } finally {
    await file.close()
  }
}

/** Whether `bytes` ends with as much of the end of `expected` as it can hold (trivially, with none expected). */
function endsWith(bytes: Buffer, expected: Buffer | undefined): boolean {
  if (!expected) return true
  const n = Math.min(bytes.length, expected.length)
  return bytes.subarray(bytes.length - n).equals(expected.subarray(expected.length - n))
}

const lastBytes = (bytes: Buffer): Buffer => Buffer.from(bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)))

async function readAt(file: FileHandle | undefined, position: number, length: number): Promise<Buffer> {
  if (!file || length <= 0) return Buffer.alloc(0)
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await file.read(buffer, 0, length, position)
  return buffer.subarray(0, bytesRead)
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  return open(path, 'r').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  })
}

const idOf = (stats: BigIntStats): string => `${stats.dev}:${stats.ino}`
