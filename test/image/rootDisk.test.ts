import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { convertImage, imageInfo } from '../../src/main/runtime/disk/qemuImg'
import { createRootOverlay } from '../../src/main/runtime/image/rootDisk'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'
import { IMAGE_VIRTUAL_BYTES, makeFixtureRelease, sha256 } from './ubuntuFixture'

const run = promisify(execFile)
const GiB = 2 ** 30

const sameContent = (a: string, aFormat: string, b: string): Promise<boolean> =>
  run('qemu-img', ['compare', '-q', '-f', aFormat, '-F', 'qcow2', a, b]).then(
    () => true,
    () => false
  )

describeWithPrograms(['qemu-img', 'qemu-io'], 'createRootOverlay', () => {
  const tempDir = useTempDirs('bpvm-root-')
  let fixtureDir: string
  let raw: string
  let base: string

  beforeAll(async () => {
    fixtureDir = await mkdtemp(join(tmpdir(), 'bpvm-base-'))
    raw = (await makeFixtureRelease(fixtureDir)).raw
    base = join(fixtureDir, 'base.qcow2')
    await convertImage({ source: raw, sourceFormat: 'raw', target: base, targetFormat: 'qcow2' })
  })
  afterAll(async () => rm(fixtureDir, { recursive: true, force: true }))

  it('creates a qcow2 overlay on the base, grown to the storage limit, in milliseconds', async () => {
    const path = join(await tempDir(), 'root.qcow2')
    const report = await createRootOverlay({ base, path, sizeBytes: 20 * GiB })
    expect(report).toMatchObject({ path, base, virtualSizeBytes: 20 * GiB, baseVirtualSizeBytes: IMAGE_VIRTUAL_BYTES })
    const info = await imageInfo(path)
    expect(info).toMatchObject({ format: 'qcow2', virtualSizeBytes: 20 * GiB, backingFile: base, backingFormat: 'qcow2' })
    // Only metadata: the base's blocks are read through, never copied.
    expect((await stat(path)).size).toBeLessThan(1024 * 1024)
    expect(await sameContent(raw, 'raw', path)).toBe(true)
  })

  it("keeps the guest's writes in the overlay and the base untouched", async () => {
    const path = join(await tempDir(), 'root.qcow2')
    await createRootOverlay({ base, path, sizeBytes: 2 * GiB })
    const baseDigest = sha256(await readFile(base))
    await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 1M', path])
    expect(sha256(await readFile(base))).toBe(baseDigest)
    expect(await sameContent(base, 'qcow2', path)).toBe(false)
  })

  it('refuses a size smaller than the base image, which would cut off its filesystem', async () => {
    const path = join(await tempDir(), 'root.qcow2')
    await expect(createRootOverlay({ base, path, sizeBytes: IMAGE_VIRTUAL_BYTES - 1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^sizeBytes: .* is smaller than the base image \(64 MiB\)$/)
    })
  })

  it('keeps an existing root disk unless told to replace it', async () => {
    const path = join(await tempDir(), 'root.qcow2')
    await writeFile(path, 'the guest was here')
    await expect(createRootOverlay({ base, path, sizeBytes: GiB })).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'path' } })
    expect(await readFile(path, 'utf8')).toBe('the guest was here')
    await createRootOverlay({ base, path, sizeBytes: GiB, replace: true })
    expect((await imageInfo(path)).backingFile).toBe(base)
  })

  it('says to pull first when the base is missing, and never overlays the base on itself', async () => {
    const dir = await tempDir()
    await expect(createRootOverlay({ base: join(dir, 'nope.qcow2'), path: join(dir, 'root.qcow2'), sizeBytes: GiB })).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND'
    })
    await expect(createRootOverlay({ base, path: base, sizeBytes: GiB, replace: true })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
