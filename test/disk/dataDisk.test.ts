import { execFile } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ensureDataDisk } from '../../src/main/runtime/disk/dataDisk'
import { formatSize, parseSize } from '../../src/shared/sizes'
import { imageInfo } from '../../src/main/runtime/disk/qemuImg'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

const run = promisify(execFile)
const MiB = 2 ** 20
const MARKER = Buffer.from('the service wrote this before the restart')

describe('parseSize', () => {
  it.each([
    ['20G', 20 * 2 ** 30],
    ['512M', 512 * MiB],
    ['1T', 2 ** 40],
    ['64K', 65_536],
    ['1048576', MiB],
    ['100B', 100],
    ['20GiB', 20 * 2 ** 30],
    ['20g', 20 * 2 ** 30],
    [' 2 G ', 2 * 2 ** 30]
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseSize(text, '--size')).toBe(bytes)
  })

  it.each(['', 'abc', '-1G', '1.5G', '0', '0G', '20X', '20 GB extra', '99999999999999T'])('refuses %j, naming the field', (text) => {
    expect(() => parseSize(text, '--size')).toThrow(/^--size: /)
  })

  it('formats sizes for people', () => {
    expect(formatSize(20 * 2 ** 30)).toBe('20 GiB')
    expect(formatSize(1536)).toBe('1.5 KiB')
    expect(formatSize(100)).toBe('100 bytes')
  })
})

describeWithPrograms(['qemu-img'], 'data disk with the real qemu-img', () => {
  const tempDir = useTempDirs()

  /** The first bytes the guest would read from the disk. */
  async function guestBytes(disk: string, work: string): Promise<Buffer> {
    const raw = join(work, 'readback.raw')
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', disk, raw])
    return (await readFile(raw)).subarray(0, MARKER.length)
  }

  it('creates a qcow2 disk of the requested virtual size', async () => {
    const work = await tempDir()
    const path = join(work, 'data.qcow2')
    const report = await ensureDataDisk({ path, sizeBytes: 64 * MiB })
    expect(report).toEqual({ path, action: 'created', virtualSizeBytes: 64 * MiB, requestedBytes: 64 * MiB })
    expect(await imageInfo(path)).toMatchObject({ format: 'qcow2', virtualSizeBytes: 64 * MiB })
    expect(await readdir(work)).toEqual(['data.qcow2'])
  })

  it('keeps an existing disk and its data without recreate, and replaces it with recreate', async () => {
    const work = await tempDir()
    const raw = join(work, 'seed.raw')
    await writeFile(raw, Buffer.concat([MARKER, Buffer.alloc(2 * MiB - MARKER.length)]))
    const path = join(work, 'data.qcow2')
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, path])

    const kept = await ensureDataDisk({ path, sizeBytes: 64 * MiB })
    expect(kept).toEqual({ path, action: 'kept', virtualSizeBytes: 2 * MiB, requestedBytes: 64 * MiB })
    expect(await guestBytes(path, work)).toEqual(MARKER)

    const recreated = await ensureDataDisk({ path, sizeBytes: 64 * MiB, recreate: true })
    expect(recreated).toEqual({ path, action: 'recreated', virtualSizeBytes: 64 * MiB, requestedBytes: 64 * MiB })
    expect(await guestBytes(path, work)).toEqual(Buffer.alloc(MARKER.length))
    expect((await readdir(work)).filter((name) => name.includes('partial'))).toEqual([])
  })

  it('does not adopt a file that is not a qcow2 image', async () => {
    const work = await tempDir()
    const path = join(work, 'data.qcow2')
    await writeFile(path, Buffer.alloc(MiB))
    await expect(ensureDataDisk({ path, sizeBytes: 64 * MiB })).rejects.toThrow(/^path: .* is a raw image, not qcow2; pass --recreate/)
    expect((await readFile(path)).length).toBe(MiB)
  })

  it('refuses a bad size or output place before running qemu-img', async () => {
    const work = await tempDir()
    await expect(ensureDataDisk({ path: join(work, 'd.qcow2'), sizeBytes: 1000 })).rejects.toThrow(/^sizeBytes: /)
    await expect(ensureDataDisk({ path: join(work, 'no', 'd.qcow2'), sizeBytes: 64 * MiB })).rejects.toThrow(/^path: directory .* does not exist/)
    await expect(ensureDataDisk({ path: work, sizeBytes: 64 * MiB })).rejects.toThrow(/^path: .* is a directory/)
    expect(await readdir(work)).toEqual([])
  })

  it("carries qemu-img's own complaint into the error", async () => {
    const work = await tempDir()
    await expect(imageInfo(join(work, 'absent.qcow2'))).rejects.toMatchObject({
      code: 'QEMU_IMG_FAILED',
      message: expect.stringMatching(/^qemu-img info failed: .*absent\.qcow2.*No such file/)
    })
  })
})
