import { createReadStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { BpvmError } from '../../../../shared/errors'

/**
 * A gzip'd cpio archive in the "newc" format, the one the kernel unpacks as an initramfs.
 * Written here rather than with `cpio`, so device nodes such as /dev/console can go in
 * without root and without making them on the host.
 */

export type ArchiveEntry =
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; source: { bytes: Uint8Array } | { path: string; size: number } }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; mode: number; major: number; minor: number }

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000, chardev: 0o020000 } as const
const TRAILER = 'TRAILER!!!'

const hex8 = (value: number): string => value.toString(16).padStart(8, '0')
const padding = (length: number): Buffer => Buffer.alloc((4 - (length % 4)) % 4)

interface HeaderFields {
  ino: number
  mode: number
  size: number
  rdevMajor?: number
  rdevMinor?: number
}

/** One newc header plus the NUL-terminated name, padded to four bytes. */
export function newcHeader(name: string, fields: HeaderFields): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8')
  // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check.
  const numbers = [fields.ino, fields.mode, 0, 0, 1, 0, fields.size, 0, 0, fields.rdevMajor ?? 0, fields.rdevMinor ?? 0, nameBytes.length, 0]
  const header = Buffer.from(`070701${numbers.map(hex8).join('')}`, 'ascii')
  return Buffer.concat([header, nameBytes, padding(header.length + nameBytes.length)])
}

function checkPath(path: string): void {
  // The kernel takes names as given: a leading '/' or a '..' would land outside the root.
  if (path === '' || path.startsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new BpvmError('INTERNAL', `initramfs: ${JSON.stringify(path)} is not a clean relative path`)
  }
}

async function* archiveChunks(entries: readonly ArchiveEntry[]): AsyncGenerator<Buffer> {
  let ino = 0
  for (const entry of entries) {
    checkPath(entry.path)
    ino += 1
    if (entry.kind === 'dir') {
      yield newcHeader(entry.path, { ino, mode: TYPE_BITS.dir | entry.mode, size: 0 })
    } else if (entry.kind === 'chardev') {
      yield newcHeader(entry.path, { ino, mode: TYPE_BITS.chardev | entry.mode, size: 0, rdevMajor: entry.major, rdevMinor: entry.minor })
    } else if (entry.kind === 'symlink') {
      const target = Buffer.from(entry.target, 'utf8')
      yield newcHeader(entry.path, { ino, mode: TYPE_BITS.symlink | 0o777, size: target.length })
      yield Buffer.concat([target, padding(target.length)])
    } else {
      const { source } = entry
      const size = 'bytes' in source ? source.bytes.length : source.size
      yield newcHeader(entry.path, { ino, mode: TYPE_BITS.file | entry.mode, size })
      if ('bytes' in source) yield Buffer.from(source.bytes)
      else yield* fileBytes(source.path, size)
      yield padding(size)
    }
  }
  yield newcHeader(TRAILER, { ino: 0, mode: 0, size: 0 })
}

async function* fileBytes(path: string, size: number): AsyncGenerator<Buffer> {
  let seen = 0
  for await (const chunk of createReadStream(path)) {
    seen += (chunk as Buffer).length
    yield chunk as Buffer
  }
  // The header already promised `size` bytes; a file that changed would corrupt the archive.
  if (seen !== size) throw new BpvmError('INTERNAL', `initramfs: ${path} changed size while it was being archived`)
}

/**
 * Writes `entries` (parents before children) to the new file `out` as a gzip'd newc archive; on
 * failure, no file is left. `rawTail`, when given, follows as a second, uncompressed archive at
 * the next 4-byte boundary: the kernel unpacks both, and copying is much cheaper than inflating
 * under software emulation.
 */
export async function writeNewcArchive(entries: readonly ArchiveEntry[], out: string, rawTail: readonly ArchiveEntry[] = []): Promise<void> {
  // Opened before anything can fail, so the removal below never races the file's creation
  // (and a file that was already there is never ours to remove).
  const handle = await open(out, 'wx', 0o644)
  try {
    const thenTail = async function* (compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      let length = 0
      for await (const chunk of compressed) {
        length += chunk.length
        yield chunk
      }
      if (rawTail.length === 0) return
      yield Buffer.alloc((4 - (length % 4)) % 4)
      yield* archiveChunks(rawTail)
    }
    await pipeline(Readable.from(archiveChunks(entries)), createGzip({ level: 9 }), thenTail, handle.createWriteStream())
  } catch (error) {
    await handle.close().catch(() => undefined)
    await rm(out, { force: true })
    throw error
  }
}
