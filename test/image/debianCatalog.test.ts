import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { newestDebianImage } from '../../src/main/runtime/image/debian/debianCatalog'
import { bpvmPartsDigest, DEBIAN_FILES, type DebianManifest } from '../../src/main/runtime/image/debian/debianManifest'
import { listImages, removeImage } from '../../src/main/runtime/image/imageCatalog'
import { useTempDirs } from '../support/tempDirs'

/** A finished build as the builder leaves it: its files and a manifest that names their sizes. */
async function fakeBuild(cacheDir: string, name: string, change: Partial<DebianManifest> = {}): Promise<string> {
  const dir = join(cacheDir, 'images', 'debian', name)
  await mkdir(dir, { recursive: true })
  const files = { base: { name: DEBIAN_FILES.base, bytes: 300 }, kernel: { name: DEBIAN_FILES.kernel, bytes: 20 }, initrd: { name: DEBIAN_FILES.initrd, bytes: 10 } }
  for (const file of Object.values(files)) await writeFile(join(dir, file.name), Buffer.alloc(file.bytes))
  const manifest: DebianManifest = {
    format: 1, hash: 'a'.repeat(64), bpvmParts: bpvmPartsDigest(), builtAt: '2026-12-01T10:00:00.000Z', buildMs: 50_000,
    suite: 'bookworm', mirror: 'http://deb.debian.org/debian', include: [], release: { label: 'Debian 12.15', date: 'x', sha256: 'b'.repeat(64) },
    kernelRelease: '6.1.0-50-cloud-amd64', packages: { 'cloud-init': '22.4.2-1+deb12u4' }, baseVirtualSizeBytes: 3 * 2 ** 30, files, ...change
  }
  await writeFile(join(dir, DEBIAN_FILES.manifest), JSON.stringify(manifest))
  return dir
}

describe('Debian builds in the cache', () => {
  const tempDir = useTempDirs('bpvm-debian-catalog-')

  it('are listed and removed like the other images; a half-made one shows as incomplete', async () => {
    const cacheDir = await tempDir()
    await fakeBuild(cacheDir, 'bookworm-0123456789ab')
    await mkdir(join(cacheDir, 'images', 'debian', 'bookworm-ffffffffffff'))
    await mkdir(join(cacheDir, 'images', 'debian', '.bookworm-ffffffffffff.1234.work'))
    const { images } = await listImages({ cacheDir })
    expect(images.map((i) => [i.name, i.kind, i.complete])).toEqual([
      ['debian/bookworm-0123456789ab', 'debian', true],
      ['debian/bookworm-ffffffffffff', 'debian', false]
    ])
    expect(await removeImage('debian/bookworm-0123456789ab', { cacheDir })).toMatchObject({ name: 'debian/bookworm-0123456789ab', freedBytes: expect.any(Number) })
    expect((await listImages({ cacheDir })).images.map((i) => i.name)).toEqual(['debian/bookworm-ffffffffffff'])
  })

  it('boot the newest complete build made by this bpvm; another version\'s, or a damaged one, is passed over', async () => {
    const cacheDir = await tempDir()
    expect(await newestDebianImage(cacheDir)).toBeUndefined()
    await fakeBuild(cacheDir, 'bookworm-old', { builtAt: '2026-11-01T00:00:00.000Z' })
    await fakeBuild(cacheDir, 'bookworm-new', { builtAt: '2026-12-05T00:00:00.000Z' })
    await fakeBuild(cacheDir, 'bookworm-other-bpvm', { builtAt: '2026-12-06T00:00:00.000Z', bpvmParts: 'c'.repeat(64) })
    const damaged = await fakeBuild(cacheDir, 'bookworm-damaged', { builtAt: '2026-12-07T00:00:00.000Z' })
    await writeFile(join(damaged, DEBIAN_FILES.base), 'cut short')
    const newest = await newestDebianImage(cacheDir)
    expect(newest).toMatchObject({ name: 'debian/bookworm-new', base: join(cacheDir, 'images', 'debian', 'bookworm-new', DEBIAN_FILES.base), fromCache: true })
  })
})
