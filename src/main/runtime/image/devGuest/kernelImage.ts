import { open } from 'node:fs/promises'
import { BpvmError } from '../../../../shared/errors'

/**
 * Reading a Linux kernel image without running it: where a bzImage keeps its compressed kernel
 * (the boot protocol's setup header, version 2.08 or newer), and whether a kernel ELF file can be
 * entered directly in 32-bit protected mode (the PVH entry point, a Xen ELF note), as QEMU's
 * `-kernel` and cloud-hypervisor do with a vmlinux: no firmware real mode, no self-decompression.
 */

export type PayloadCompression = 'gzip' | 'bzip2' | 'lzma' | 'xz' | 'lzo' | 'lz4' | 'zstd' | 'unknown'

export interface BzImagePayload {
  compression: PayloadCompression
  bytes: Buffer
}

// The magic numbers the kernel's own decompressors start from (lib/decompress.c).
const MAGICS: Array<[PayloadCompression, number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00, 0x00]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]]
]

const invalid = (why: string): BpvmError => new BpvmError('KERNEL_PACKAGE_INVALID', `the kernel image is not a usable bzImage: ${why}`)

/** The compressed kernel inside a bzImage, and how it is compressed. */
export function bzImagePayload(image: Buffer): BzImagePayload {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') throw invalid('no "HdrS" setup header at 0x202')
  const version = image.readUInt16LE(0x206)
  if (version < 0x208) throw invalid(`boot protocol ${version >> 8}.${String(version & 0xff).padStart(2, '0')} is older than 2.08 (no payload offset)`)
  // setup_sects of 0 means 4; the protected-mode kernel follows the boot sector and the setup sectors.
  const protectedMode = ((image[0x1f1] || 4) + 1) * 512
  const start = protectedMode + image.readUInt32LE(0x248)
  const length = image.readUInt32LE(0x24c)
  if (length === 0 || start + length > image.length) throw invalid(`the payload (${length} bytes at ${start}) lies outside the file (${image.length} bytes)`)
  const bytes = image.subarray(start, start + length)
  const match = MAGICS.find(([, magic]) => magic.every((byte, i) => bytes[i] === byte))
  return { compression: match?.[0] ?? 'unknown', bytes }
}

const PT_NOTE = 4
const XEN_ELFNOTE_PHYS32_ENTRY = 18

/** Whether the 64-bit ELF file at `path` has a PVH entry point (a "Xen" note of type 18 in a PT_NOTE segment). */
export async function hasPvhEntry(path: string): Promise<boolean> {
  const file = await open(path, 'r')
  try {
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length)
      const { bytesRead } = await file.read(buffer, 0, length, position)
      return buffer.subarray(0, bytesRead)
    }
    const header = await read(0, 64)
    // ELF, 64-bit, little-endian.
    if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false
    const phoff = Number(header.readBigUInt64LE(0x20))
    const phentsize = header.readUInt16LE(0x36)
    const phnum = header.readUInt16LE(0x38)
    const table = await read(phoff, phentsize * phnum)
    for (let i = 0; i < phnum; i += 1) {
      const entry = table.subarray(i * phentsize, (i + 1) * phentsize)
      if (entry.length < 0x28 || entry.readUInt32LE(0) !== PT_NOTE) continue
      const notes = await read(Number(entry.readBigUInt64LE(0x08)), Number(entry.readBigUInt64LE(0x20)))
      if (hasXenNote(notes, XEN_ELFNOTE_PHYS32_ENTRY)) return true
    }
    return false
  } finally {
    await file.close()
  }
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4

function hasXenNote(notes: Buffer, type: number): boolean {
  for (let at = 0; at + 12 <= notes.length; ) {
    const nameSize = notes.readUInt32LE(at)
    const descSize = notes.readUInt32LE(at + 4)
    const noteType = notes.readUInt32LE(at + 8)
    const name = notes.toString('latin1', at + 12, at + 12 + nameSize).replace(/\0+$/, '')
    if (name === 'Xen' && noteType === type) return true
    at += 12 + align4(nameSize) + align4(descSize)
  }
  return false
}
