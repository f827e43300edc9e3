import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import type { CachedImage, ImageCatalog } from '../../src/main/runtime/image/imageCatalog'
import { pullUbuntu, type UbuntuImage } from '../../src/main/runtime/image/ubuntuImage'
import { UBUNTU_FILES, UBUNTU_RELEASE_NAME } from '../../src/main/runtime/image/ubuntuRelease'
import { describeWithPrograms } from '../support/prerequisites'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'
import { startImageServer, type ImageServer } from './imageServer'
import { IMAGE_PATH, makeFixtureRelease, RELEASE_PATH } from './ubuntuFixture'

const RELEASE = `ubuntu/${UBUNTU_RELEASE_NAME}`

describeWithPrograms(['qemu-img'], 'bpvm image pull | ls | rm', () => {
  const tempDir = useTempDirs('bpvm-image-cli-')
  let fixtureDir: string
  let server: ImageServer
  let home: string
  // Each test gets its own BPVM_HOME; the release URL points at the server on 127.0.0.1.
  const bpvm = (...args: string[]) => runCli(args, { env: { BPVM_HOME: home, BPVM_UBUNTU_BASE_URL: `${server.origin}${RELEASE_PATH}` } })

  beforeAll(async () => {
    fixtureDir = await mkdtemp(join(tmpdir(), 'bpvm-release-'))
    server = await startImageServer((await makeFixtureRelease(fixtureDir)).files)
  })
  afterAll(async () => {
    await server.close()
    await rm(fixtureDir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    home = await tempDir()
    server.requests.length = 0
  })

  it('pulls, lists and removes the Ubuntu release', async () => {
    const pulled = await bpvm('image', 'pull', '--json')
    expect(pulled.exitCode).toBe(0)
    // Not a terminal: no progress, only the envelope.
    expect(pulled.stderr).toBe('')
    const image = envelope(pulled).value as UbuntuImage
    expect(image).toMatchObject({ release: UBUNTU_RELEASE_NAME, fromCache: false, converted: true })
    expect(image.base.startsWith(join(home, 'cache', 'images', 'ubuntu'))).toBe(true)

    const again = await bpvm('image', 'pull', 'ubuntu')
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`^Ubuntu ${UBUNTU_RELEASE_NAME} taken from the cache in \\d+\\.\\d s: ${image.dir}\\n`))
    expect(again.stdout).toContain(`  base    ${image.base} (qcow2, 64 MiB virtual)`)

    const listed = envelope(await bpvm('image', 'ls', '--json')).value as ImageCatalog
    expect(listed.dir).toBe(join(home, 'cache', 'images'))
    expect(listed.images.map((i: CachedImage) => [i.name, i.complete])).toEqual([[RELEASE, true]])
    expect(listed.images[0]!.files.map((f) => f.name)).toContain(UBUNTU_FILES.base)
    const human = await bpvm('image', 'ls')
    expect(human.stdout).toMatch(new RegExp(`^Images in ${listed.dir}:\\n  ${RELEASE}  +[\\d.]+ MiB  complete$`))

    const removed = await bpvm('image', 'rm', RELEASE)
    expect(removed.exitCode).toBe(0)
    expect(removed.stdout).toMatch(new RegExp(`^Removed ${RELEASE} \\([\\d.]+ MiB freed\\)$`))
    expect(existsSync(image.dir)).toBe(false)
    expect((await bpvm('image', 'ls')).stdout).toBe(`No images in ${listed.dir}`)
    const gone = await bpvm('image', 'rm', RELEASE, '--json')
    expect(gone.exitCode).toBe(1)
    expect(envelope(gone).error?.code).toBe('IMAGE_NOT_FOUND')
  })

  it('refuses to remove anything outside the image cache, in one line', async () => {
    for (const name of ['/etc', '../../../etc', `ubuntu/../../../../etc`]) {
      const run = await bpvm('image', 'rm', name)
      expect(run.exitCode).toBe(1)
      expect(run.stderrLines).toHaveLength(1)
      expect(run.stderrLines[0]).toMatch(/^bpvm: name: \S+ is outside the image cache \S+; only images in it can be removed$/)
    }
    expect(existsSync('/etc/passwd')).toBe(true)
    const json = await bpvm('image', 'rm', '/etc', '--json')
    expect(envelope(json).error?.code).toBe('INVALID_INPUT')
  })

  it('a pull in the app and one from the CLI at the same moment convert once', async () => {
    // The app's pull holds the lock while its image download is slow; the CLI waits for it.
    server.delayOnce.set(IMAGE_PATH, 4000)
    const app = pullUbuntu({ cacheDir: join(home, 'cache'), baseUrl: `${server.origin}${RELEASE_PATH}` })
    const cli = await bpvm('image', 'pull', '--json')
    const fromApp = await app
    expect(cli.exitCode).toBe(0)
    expect(fromApp.converted).toBe(true)
    expect(envelope(cli).value).toMatchObject({ fromCache: true, converted: false, base: fromApp.base })
    expect(server.requestsFor(IMAGE_PATH)).toHaveLength(1)
  })

  it('reports an unknown image name as a usage error', async () => {
    const run = await bpvm('image', 'pull', 'debian')
    expect(run.exitCode).toBe(2)
    expect(run.stderrLines).toEqual(["bpvm: command-argument value 'debian' is invalid for argument 'image'. Allowed choices are ubuntu."])
  })
})
