import { existsSync } from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listImages, removeImage } from '../../src/main/runtime/image/imageCatalog'
import { writeUbuntuManifest } from '../../src/main/runtime/image/ubuntuManifest'
import { UBUNTU_FILES, UBUNTU_RELEASE_NAME } from '../../src/main/runtime/image/ubuntuRelease'
import { useTempDirs } from '../support/tempDirs'

const RELEASE = `ubuntu/${UBUNTU_RELEASE_NAME}`

/** A cache with a complete Ubuntu release, an unfinished dev build and the scratch a pull and a build leave. */
async function makeCache(cacheDir: string): Promise<void> {
  const release = join(cacheDir, 'images', 'ubuntu', UBUNTU_RELEASE_NAME)
  await mkdir(release, { recursive: true })
  await writeFile(join(release, UBUNTU_FILES.base), Buffer.alloc(3000))
  await writeFile(join(release, UBUNTU_FILES.kernel), Buffer.alloc(200))
  await writeFile(join(release, UBUNTU_FILES.initrd), Buffer.alloc(100))
  const file = (name: string, bytes: number): { name: string; bytes: number } => ({ name, bytes })
  await writeUbuntuManifest(release, {
    format: 1,
    release: UBUNTU_RELEASE_NAME,
    sourceUrl: 'http://127.0.0.1/',
    pulledAt: '2026-03-22T10:00:00.000Z',
    baseVirtualSizeBytes: 64 * 2 ** 20,
    files: { base: file(UBUNTU_FILES.base, 3000), kernel: file(UBUNTU_FILES.kernel, 200), initrd: file(UBUNTU_FILES.initrd, 100) }
  })
  await mkdir(join(cacheDir, 'images', 'ubuntu', `.${UBUNTU_RELEASE_NAME}.5eed.stale`))
  const dev = join(cacheDir, 'images', 'dev')
  await mkdir(join(dev, '0123abcd'), { recursive: true })
  await writeFile(join(dev, '0123abcd', 'vmlinuz'), Buffer.alloc(50))
  await mkdir(join(dev, '.0123abcd.ffff.partial'))
}

describe('image catalog', () => {
  const tempDir = useTempDirs('bpvm-catalog-')

  it('lists Ubuntu releases and dev builds with their files and sizes, and whether each is complete', async () => {
    const cacheDir = await tempDir()
    expect(await listImages({ cacheDir })).toEqual({ dir: join(cacheDir, 'images'), images: [] })
    await makeCache(cacheDir)
    const { images } = await listImages({ cacheDir })
    expect(images.map((i) => [i.name, i.complete, i.bytes])).toEqual([
      [RELEASE, true, 3300 + images[0]!.files.find((f) => f.name === 'manifest.json')!.bytes],
      ['dev/0123abcd', false, 50]
    ])
    expect(images[0]).toMatchObject({ kind: 'ubuntu', createdAt: '2026-03-22T10:00:00.000Z' })
    expect(images[0]!.files.map((f) => f.name)).toEqual([UBUNTU_FILES.base, UBUNTU_FILES.initrd, UBUNTU_FILES.kernel, 'manifest.json'].sort())
  })

  it('removes an image by name or by its directory', async () => {
    const cacheDir = await tempDir()
    await makeCache(cacheDir)
    const removed = await removeImage(RELEASE, { cacheDir })
    expect(removed).toMatchObject({ name: RELEASE, dir: join(cacheDir, 'images', RELEASE) })
    expect(removed.freedBytes).toBeGreaterThan(3300)
    expect(existsSync(removed.dir)).toBe(false)
    await removeImage(join(cacheDir, 'images', 'dev', '0123abcd'), { cacheDir })
    expect((await listImages({ cacheDir })).images).toEqual([])
    await expect(removeImage(RELEASE, { cacheDir })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' })
  })

  it.each([
    ['/etc', /is outside the image cache/],
    ['../../etc', /is outside the image cache/],
    [`ubuntu/../../..`, /is outside the image cache/],
    ['.', /is outside the image cache/],
    ['ubuntu', /is not an image name/],
    [`${RELEASE}/${UBUNTU_FILES.base}`, /is not an image name/],
    [`ubuntu/.${UBUNTU_RELEASE_NAME}.lock`, /is not an image name/],
    ['other/thing', /is not an image name/]
  ])('refuses %j', async (name, why) => {
    const cacheDir = await tempDir()
    await makeCache(cacheDir)
    await expect(removeImage(name, { cacheDir })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(why) })
    expect((await listImages({ cacheDir })).images).toHaveLength(2)
  })

  it('refuses to follow a symlink out of the cache', async () => {
    const cacheDir = await tempDir()
    const outside = await tempDir()
    await mkdir(join(outside, 'victim'))
    await mkdir(join(cacheDir, 'images', 'ubuntu'), { recursive: true })
    // An entry that is a link, and a kind directory that is a link.
    await symlink(outside, join(cacheDir, 'images', 'ubuntu', 'linked'))
    await symlink(outside, join(cacheDir, 'images', 'dev'))
    await expect(removeImage('ubuntu/linked', { cacheDir })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(removeImage('dev/victim', { cacheDir })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect(existsSync(join(outside, 'victim'))).toBe(true)
  })
})
