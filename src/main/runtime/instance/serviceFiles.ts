import { createHash } from 'node:crypto'
import { lstat, open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { BpvmError } from '../../../shared/errors'
import { formatSize } from '../../../shared/sizes'

/** A keystore deeper or larger than this is fingerprinted by what was seen so far. */
const MAX_KEYSTORE_ENTRIES = 2_000
const MAX_KEYSTORE_DEPTH = 6

const statLine = async (path: string): Promise<string> => {
  try {
    const s = await lstat(path)
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.mode}`
  } catch {
    return 'missing'
  }
}

async function keystoreLines(dir: string, depth: number, lines: string[]): Promise<void> {
  if (depth > MAX_KEYSTORE_DEPTH || lines.length >= MAX_KEYSTORE_ENTRIES) return
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (lines.length >= MAX_KEYSTORE_ENTRIES) return
    const path = join(dir, entry.name)
    lines.push(`${path} ${await statLine(path)}`)
    if (entry.isDirectory()) await keystoreLines(path, depth + 1, lines)
  }
}

/**
 * What the service's files are now, as one string that changes whenever the binary or any file
 * of the keystore is rewritten, replaced, resized, touched or removed (inode, size, times, mode).
 */
export async function fingerprintServiceFiles(binary: string, keystore?: string): Promise<string> {
  const lines = [`binary ${await statLine(binary)}`]
  if (keystore !== undefined) {
    lines.push(`keystore ${await statLine(keystore)}`)
    await keystoreLines(keystore, 0, lines)
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex')
}

interface ElfExtent {
  /** The least size a whole file has: past its program and section header tables and every segment's bytes. */
  needed: number
}

function elfExtent(head: Buffer, readAt: (offset: number, length: number) => Promise<Buffer>): Promise<ElfExtent | undefined> | undefined {
  if (head.length < 16 || head.readUInt32BE(0) !== 0x7f454c46) return undefined
  const wide = head[4] === 2
  const little = head[5] === 1
  if (head.length < (wide ? 64 : 52)) return Promise.resolve({ needed: wide ? 64 : 52 })
  const u16 = (b: Buffer, at: number): number => (little ? b.readUInt16LE(at) : b.readUInt16BE(at))
  const u32 = (b: Buffer, at: number): number => (little ? b.readUInt32LE(at) : b.readUInt32BE(at))
  const word = (b: Buffer, at: number): number => (wide ? Number(little ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : u32(b, at))
  const phoff = word(head, wide ? 32 : 28)
  const shoff = word(head, wide ? 40 : 32)
  const [phentsize, phnum, shentsize, shnum] = wide ? [u16(head, 54), u16(head, 56), u16(head, 58), u16(head, 60)] : [u16(head, 42), u16(head, 44), u16(head, 46), u16(head, 48)]
  return (async () => {
    let needed = Math.max(phoff + phentsize * phnum, shoff + shentsize * shnum)
    const table = phnum > 0 ? await readAt(phoff, phentsize * phnum) : Buffer.alloc(0)
    for (let i = 0; i < phnum && (i + 1) * phentsize <= table.length; i += 1) {
      const at = i * phentsize
      // p_offset and p_filesz: where each segment's bytes are in the file.
      const [offset, filesz] = wide ? [word(table, at + 8), word(table, at + 32)] : [u32(table, at + 4), u32(table, at + 16)]
      needed = Math.max(needed, offset + filesz)
    }
    return { needed }
  })()
}

/**
 * Refuses a binary that is still being written: an ELF file shorter than its own headers say
 * (a linker writes in place, so a build in progress or one that failed half-way leaves such a
 * file), or an empty one. Other files (scripts) are taken as they are.
 */
export async function checkBinaryComplete(path: string, field = 'binary'): Promise<void> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new BpvmError('BINARY_INCOMPLETE', `${field}: ${path} cannot be read (${error.code ?? error.message})`, { field, path })
  })
  try {
    const { size } = await handle.stat()
    if (size === 0) throw new BpvmError('BINARY_INCOMPLETE', `${field}: ${path} is empty`, { field, path })
    const head = Buffer.alloc(64)
    const { bytesRead } = await handle.read(head, 0, 64, 0)
    const readAt = async (offset: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, 1 << 20)))
      const read = await handle.read(buffer, 0, buffer.length, offset)
      return buffer.subarray(0, read.bytesRead)
    }
    const extent = await elfExtent(head.subarray(0, bytesRead), readAt)
    if (extent && size < extent.needed) {
      throw new BpvmError('BINARY_INCOMPLETE', `${field}: ${path} is an incomplete ELF file (${formatSize(size)} of at least ${formatSize(extent.needed)}): still being built, or the build failed`, { field, path, size, needed: extent.needed })
    }
  } finally {
    await handle.close()
  }
}
