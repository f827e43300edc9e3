import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { bzImagePayload, hasPvhEntry } from '../../src/main/runtime/image/devGuest/kernelImage'
import { bootableKernel } from '../../src/main/runtime/image/devGuest/pvhKernel'
import { missingPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

/** A bzImage as the boot protocol lays it out: boot sector, `setupSects` setup sectors, then the payload at its offset. */
function bzImage(payload: Buffer, { version = 0x020f, setupSects = 1, offset = 0x100 } = {}): Buffer {
  // 0 setup sectors means 4.
  const protectedMode = ((setupSects || 4) + 1) * 512
  const image = Buffer.alloc(protectedMode + offset + payload.length)
  image[0x1f1] = setupSects
  image.write('HdrS', 0x202, 'latin1')
  image.writeUInt16LE(version, 0x206)
  image.writeUInt32LE(offset, 0x248)
  image.writeUInt32LE(payload.length, 0x24c)
  payload.copy(image, protectedMode + offset)
  return image
}

function note(owner: string, type: number, desc: Buffer): Buffer {
  const name = Buffer.from(`${owner}\0`, 'latin1')
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)])
  const head = Buffer.alloc(12)
  head.writeUInt32LE(name.length, 0)
  head.writeUInt32LE(desc.length, 4)
  head.writeUInt32LE(type, 8)
  return Buffer.concat([head, pad(name), pad(desc)])
}

/** A 64-bit little-endian ELF file with a PT_LOAD segment and a PT_NOTE segment holding `notes`. */
function elf(notes: Buffer): Buffer {
  const header = Buffer.alloc(64)
  header.writeUInt32BE(0x7f454c46, 0)
  header[4] = 2
  header[5] = 1
  header.writeBigUInt64LE(64n, 0x20)
  header.writeUInt16LE(56, 0x36)
  header.writeUInt16LE(2, 0x38)
  const load = Buffer.alloc(56)
  load.writeUInt32LE(1, 0)
  const noteSegment = Buffer.alloc(56)
  noteSegment.writeUInt32LE(4, 0)
  noteSegment.writeBigUInt64LE(BigInt(64 + 2 * 56), 0x08)
  noteSegment.writeBigUInt64LE(BigInt(notes.length), 0x20)
  return Buffer.concat([header, load, noteSegment, notes])
}

const PVH_NOTES = Buffer.concat([note('Xen', 6, Buffer.from('linux\0')), note('GNU', 18, Buffer.alloc(4)), note('Xen', 18, Buffer.alloc(4))])
const NO_PVH_NOTES = Buffer.concat([note('Xen', 6, Buffer.from('linux\0')), note('GNU', 18, Buffer.alloc(4))])

describe('reading a kernel image', () => {
  const tempDir = useTempDirs()

  it('finds the payload of a bzImage and names its compression by its magic number', () => {
    const lz4 = Buffer.from([0x02, 0x21, 0x4c, 0x18, 1, 2, 3])
    const found = bzImagePayload(bzImage(lz4))
    expect(found.compression).toBe('lz4')
    expect(found.bytes.equals(lz4)).toBe(true)
    expect(bzImagePayload(bzImage(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]), { setupSects: 0 })).compression).toBe('zstd')
    expect(bzImagePayload(bzImage(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 9]))).compression).toBe('xz')
    expect(bzImagePayload(bzImage(Buffer.from('plain'))).compression).toBe('unknown')
  })

  it('refuses what is not a usable bzImage, saying why', () => {
    expect(() => bzImagePayload(Buffer.alloc(4096))).toThrow(/no "HdrS" setup header/)
    expect(() => bzImagePayload(bzImage(Buffer.from('x'), { version: 0x0206 }))).toThrow(/boot protocol 2\.06 is older than 2\.08/)
    const cut = bzImage(Buffer.alloc(64))
    expect(() => bzImagePayload(cut.subarray(0, cut.length - 1))).toThrow(/lies outside the file/)
  })

  it('tells a kernel with a PVH entry point (a Xen note of type 18) from one without, and from what is no ELF file', async () => {
    const dir = await tempDir()
    const files = { pvh: join(dir, 'pvh'), plain: join(dir, 'plain'), text: join(dir, 'text') }
    await writeFile(files.pvh, elf(PVH_NOTES))
    await writeFile(files.plain, elf(NO_PVH_NOTES))
    await writeFile(files.text, 'not an ELF file at all, but long enough to fill a header of sixty-four bytes')
    await expect(hasPvhEntry(files.pvh)).resolves.toBe(true)
    await expect(hasPvhEntry(files.plain)).resolves.toBe(false)
    await expect(hasPvhEntry(files.text)).resolves.toBe(false)
  })

  describe.skipIf(missingPrograms(['lz4']).length > 0 && !process.env.CI)('unpacking it to boot at the PVH entry point (lz4)', () => {
    async function imageWith(dir: string, kernel: Buffer, compress: (file: string) => Promise<Buffer>): Promise<string> {
      const raw = join(dir, 'raw')
      await writeFile(raw, kernel)
      const vmlinuz = join(dir, 'vmlinuz')
      await writeFile(vmlinuz, bzImage(await compress(raw)))
      return vmlinuz
    }
    /** As Linux packs it: the legacy frame format (lz4 -l), then the unpacked size. */
    const lz4Legacy = async (file: string) => {
      const size = Buffer.alloc(4)
      size.writeUInt32LE((await readFile(file)).length)
      return Buffer.concat([Buffer.from((await execa('lz4', ['-l', '-c', '-q', file], { encoding: 'buffer' })).stdout), size])
    }
    const gzip = async (file: string) => gzipSync(await readFile(file))

    it('unpacks an lz4 or gzip payload into the vmlinux and boots that', async () => {
      for (const compress of [lz4Legacy, gzip]) {
        const dir = await tempDir()
        const work = join(dir, 'work')
        await mkdir(work)
        const kernel = await bootableKernel(await imageWith(dir, elf(PVH_NOTES), compress), work)
        expect(kernel).toEqual({ file: join(work, 'vmlinux'), entry: 'pvh' })
        expect((await readFile(kernel.file)).equals(elf(PVH_NOTES))).toBe(true)
      }
    })

    it('boots the bzImage itself, saying why, when the kernel has no PVH entry, its compression is not one it unpacks, or lz4 is missing', async () => {
      const dir = await tempDir()
      const noPvh = await imageWith(dir, elf(NO_PVH_NOTES), lz4Legacy)
      await expect(bootableKernel(noPvh, dir)).resolves.toEqual({ file: noPvh, entry: 'bzimage', why: 'the kernel has no PVH entry point' })

      const xz = join(dir, 'xz-vmlinuz')
      await writeFile(xz, bzImage(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 9])))
      const wrongSize = join(dir, 'wrong-size')
      const raw = join(dir, 'raw-kernel')
      await writeFile(raw, elf(PVH_NOTES))
      const packed = await lz4Legacy(raw)
      packed.writeUInt32LE(packed.readUInt32LE(packed.length - 4) + 1, packed.length - 4)
      await writeFile(wrongSize, bzImage(packed))
      await expect(bootableKernel(wrongSize, await tempDir())).rejects.toThrow(/unpacked to \d+ bytes, not the \d+ its image says/)

      await expect(bootableKernel(xz, dir)).resolves.toEqual({ file: xz, entry: 'bzimage', why: 'its kernel is xz-compressed, which the build does not unpack (lz4 and gzip only)' })

      const other = await tempDir()
      const vmlinuz = await imageWith(other, elf(PVH_NOTES), lz4Legacy)
      const path = process.env.PATH
      process.env.PATH = other
      try {
        await expect(bootableKernel(vmlinuz, other)).resolves.toEqual({ file: vmlinuz, entry: 'bzimage', why: 'lz4 is not installed (install the lz4 package)' })
      } finally {
        process.env.PATH = path
      }
    })
  })
})
