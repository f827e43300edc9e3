import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, stat, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { imageInfo } from '../../src/main/runtime/disk/qemuImg'
import { pullUbuntu, type UbuntuPullProgress } from '../../src/main/runtime/image/ubuntuImage'
import { UBUNTU_FILES, UBUNTU_RELEASE_NAME } from '../../src/main/runtime/image/ubuntuRelease'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'
import { startImageServer, type ImageServer } from './imageServer'
import { IMAGE_PATH, IMAGE_VIRTUAL_BYTES, INITRD_PATH, KERNEL_PATH, makeFixtureRelease, RELEASE_PATH, sha256, type FixtureRelease } from './ubuntuFixture'

const run = promisify(execFile)

/** Every extent holding data has a host offset; compressed clusters have none. */
async function isUncompressed(path: string): Promise<boolean> {
  const { stdout } = await run('qemu-img', ['map', '--output=json', '-f', 'qcow2', path])
  const extents = JSON.parse(stdout) as { data: boolean; offset?: number }[]
  return extents.some((e) => e.data) && extents.every((e) => !e.data || typeof e.offset === 'number')
}

/** `qemu-img compare`: exit 0 when the guest would read the same bytes from both. */
async function sameContent(raw: string, qcow2: string): Promise<boolean> {
  return run('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'qcow2', raw, qcow2]).then(
    () => true,
    () => false
  )
}

describeWithPrograms(['qemu-img'], 'pullUbuntu', () => {
  const tempDir = useTempDirs('bpvm-pull-')
  let fixtureDir: string
  let release: FixtureRelease
  let server: ImageServer
  const baseUrl = (): string => `${server.origin}${RELEASE_PATH}`

  beforeAll(async () => {
    fixtureDir = await mkdtemp(join(tmpdir(), 'bpvm-release-'))
    release = await makeFixtureRelease(fixtureDir)
    server = await startImageServer(new Map(release.files))
  })
  afterAll(async () => {
    await server.close()
    await rm(fixtureDir, { recursive: true, force: true })
  })
  beforeEach(() => {
    server.requests.length = 0
    server.files = new Map(release.files)
  })

  it('downloads the set from one release directory, with progress, and converts the image into an uncompressed base', async () => {
    const cacheDir = await tempDir()
    const events: UbuntuPullProgress[] = []
    // The image's first GET is cut halfway: the pull resumes it and still verifies it.
    server.cutOnce.set(IMAGE_PATH, Math.floor(release.image.length / 2))
    const image = await pullUbuntu({ cacheDir, baseUrl: baseUrl(), onProgress: (p) => events.push(p) })

    const dir = join(cacheDir, 'images', 'ubuntu', UBUNTU_RELEASE_NAME)
    expect(image).toMatchObject({ release: UBUNTU_RELEASE_NAME, dir, fromCache: false, converted: true, baseVirtualSizeBytes: IMAGE_VIRTUAL_BYTES })
    expect(image.downloaded).toEqual([UBUNTU_FILES.kernel, UBUNTU_FILES.initrd, UBUNTU_FILES.image])
    expect(sha256(await readFile(image.kernel))).toBe(sha256(release.kernel))
    expect(sha256(await readFile(image.initrd))).toBe(sha256(release.initrd))
    // The compressed download is gone once converted; nothing partial is left.
    expect((await readdir(dir)).sort()).toEqual([UBUNTU_FILES.base, UBUNTU_FILES.initrd, UBUNTU_FILES.kernel, UBUNTU_FILES.manifest].sort())

    const info = await imageInfo(image.base)
    expect(info).toMatchObject({ format: 'qcow2', virtualSizeBytes: IMAGE_VIRTUAL_BYTES })
    expect(info.backingFile).toBeUndefined()
    expect(await isUncompressed(image.base)).toBe(true)
    expect(await sameContent(release.raw, image.base)).toBe(true)

    // Kernel and initrd come from `unpacked/` of the same release, and nothing repeats `releases/`.
    const paths = server.requests.map((r) => r.path)
    expect(new Set(paths)).toEqual(new Set([`${RELEASE_PATH}unpacked/SHA256SUMS`, `${RELEASE_PATH}SHA256SUMS`, KERNEL_PATH, INITRD_PATH, IMAGE_PATH]))
    expect(paths.some((p) => p.includes('releases/releases'))).toBe(false)
    expect(server.requestsFor(IMAGE_PATH).map((r) => r.status)).toEqual([200, 206])

    const phases = [...new Set(events.map((e) => e.phase))]
    expect(phases).toEqual(['checksums', 'download', 'convert'])
    for (const file of [UBUNTU_FILES.kernel, UBUNTU_FILES.initrd, UBUNTU_FILES.image]) {
      expect(events.filter((e) => e.download?.file === file).at(-1)?.download).toMatchObject({ percent: 100 })
    }
  })

  it('converts once: a second pull takes everything from the cache without a request or qemu-img', async () => {
    const cacheDir = await tempDir()
    const first = await pullUbuntu({ cacheDir, baseUrl: baseUrl() })
    const before = await stat(first.base)
    const requests = server.requests.length
    const second = await pullUbuntu({ cacheDir, baseUrl: baseUrl() })
    expect(second).toMatchObject({ fromCache: true, converted: false, downloaded: [], base: first.base })
    expect(server.requests.length).toBe(requests)
    expect((await stat(first.base)).mtimeMs).toBe(before.mtimeMs)
  })

  it('two pulls at once download and convert once; the second waits and takes the result', async () => {
    const cacheDir = await tempDir()
    server.delayOnce.set(IMAGE_PATH, 500)
    const results = await Promise.all([pullUbuntu({ cacheDir, baseUrl: baseUrl() }), pullUbuntu({ cacheDir, baseUrl: baseUrl() })])
    expect(results.filter((r) => r.converted)).toHaveLength(1)
    expect(results.filter((r) => r.fromCache)).toHaveLength(1)
    expect(server.requestsFor(IMAGE_PATH)).toHaveLength(1)
  })

  it('never uses an image that fails its checksum: it is discarded, with no base made', async () => {
    const cacheDir = await tempDir()
    const corrupt = Buffer.from(release.image)
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 100) ^ 0xff, corrupt.length - 100)
    server.files.set(IMAGE_PATH, corrupt)
    await expect(pullUbuntu({ cacheDir, baseUrl: baseUrl() })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: expect.stringContaining(UBUNTU_FILES.image)
    })
    const dir = join(cacheDir, 'images', 'ubuntu', UBUNTU_RELEASE_NAME)
    // The verified kernel and initrd stay; the next pull fetches only the image.
    expect((await readdir(dir)).sort()).toEqual([UBUNTU_FILES.initrd, UBUNTU_FILES.kernel].sort())

    server.files.set(IMAGE_PATH, release.image)
    const image = await pullUbuntu({ cacheDir, baseUrl: baseUrl() })
    expect(image.downloaded).toEqual([UBUNTU_FILES.image])
    expect(await sameContent(release.raw, image.base)).toBe(true)
  })

  it('reports a release directory that is not there as a clear HTTP 404', async () => {
    const missing = `${server.origin}/releases/noble/release-19990101/`
    await expect(pullUbuntu({ cacheDir: await tempDir(), baseUrl: missing })).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: `GET ${missing}unpacked/SHA256SUMS answered HTTP 404 (not found: is the release or mirror URL right?)`
    })
  })

  it('makes the base again when it was damaged after the pull', async () => {
    const cacheDir = await tempDir()
    const first = await pullUbuntu({ cacheDir, baseUrl: baseUrl() })
    await truncate(first.base, 4096)
    const again = await pullUbuntu({ cacheDir, baseUrl: baseUrl() })
    expect(again).toMatchObject({ fromCache: false, converted: true })
    expect(await sameContent(release.raw, again.base)).toBe(true)
  })

  it('takes the release URL from BPVM_UBUNTU_BASE_URL', async () => {
    const cacheDir = await tempDir()
    const saved = process.env.BPVM_UBUNTU_BASE_URL
    process.env.BPVM_UBUNTU_BASE_URL = baseUrl().slice(0, -1)
    try {
      const image = await pullUbuntu({ cacheDir })
      expect(existsSync(image.base)).toBe(true)
      expect(server.requestsFor(KERNEL_PATH)).toHaveLength(1)
    } finally {
      if (saved === undefined) delete process.env.BPVM_UBUNTU_BASE_URL
      else process.env.BPVM_UBUNTU_BASE_URL = saved
    }
  })
})
