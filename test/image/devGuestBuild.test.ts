import { randomBytes } from 'node:crypto'
import { readdir, readFile, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { appDirs } from '../../src/main/runtime/appDirs'
import { buildDevGuest, type DevGuestBuild, type DevGuestPhase } from '../../src/main/runtime/image/devGuest/buildDevGuest'
import { devGuestCmdline } from '../../src/main/runtime/image/devGuest/devGuestLayout'
import { hasPvhEntry } from '../../src/main/runtime/image/devGuest/kernelImage'
import { describeWithPrograms } from '../support/prerequisites'
import { BUILD_PROGRAMS } from './devGuestFixtures'

const BUILD_MS = 180_000

describeWithPrograms([...BUILD_PROGRAMS, 'cpio', 'lz4'], 'building the dev guest from Debian packages', () => {
  // Under the run's BPVM_HOME, but a cache of its own: the first build here is always a real one.
  const cacheDir = join(appDirs().cache, `build-test-${randomBytes(4).toString('hex')}`)
  const imagesDir = join(cacheDir, 'images', 'dev')
  const phases: DevGuestPhase[] = []
  let first: DevGuestBuild

  beforeAll(async () => {
    first = await buildDevGuest({ cacheDir, onProgress: ({ phase }) => phases.push(phase) })
  }, BUILD_MS)
  afterAll(() => rm(cacheDir, { recursive: true, force: true }))

  /** Names in the initramfs, in archive order. */
  async function initramfsNames(path: string): Promise<string[]> {
    const { stdout } = await execa('cpio', ['-t', '--quiet'], { input: gunzipSync(await readFile(path)) })
    return stdout.split('\n')
  }

  it('builds the kernel, the initramfs and their manifest from the packages apt resolves, in under a minute', async () => {
    expect(first.fromCache).toBe(false)
    expect(first.elapsedMs).toBeLessThan(60_000)
    expect(phases).toEqual(['resolve', 'download', 'unpack', 'modules', 'initramfs', 'publish'])
    const { manifest } = first
    expect(first.dir).toBe(join(imagesDir, manifest.hash))
    expect((await readdir(first.dir)).sort()).toEqual(['initramfs-relay.img', 'initramfs.img', 'manifest.json', 'vmlinux', 'vmlinuz'])
    expect(JSON.parse(await readFile(join(first.dir, 'manifest.json'), 'utf8'))).toEqual(manifest)
    expect((await readdir(imagesDir)).filter((name) => !name.startsWith('.'))).toEqual([manifest.hash])

    expect(manifest.packages.kernel.name).toMatch(/^linux-image-\d.*-cloud-amd64$/)
    expect(manifest.packages.kernel.name).toBe(`linux-image-${manifest.kernelRelease}`)
    expect(manifest.packages.busybox.name).toBe('busybox-static')
    expect(manifest.packages.relay.map((p) => p.name)).toEqual(expect.arrayContaining(['socat', 'libc6']))
    // Debian's bzImage unpacked (its payload is lz4) into the ELF vmlinux, entered at its PVH entry point.
    expect(manifest.kernelEntry).toEqual({ entry: 'pvh' })
    expect(first.kernel).toBe(join(first.dir, 'vmlinux'))
    await expect(hasPvhEntry(first.kernel)).resolves.toBe(true)
    expect(manifest.files.kernel.bytes).toBeGreaterThan(20 * 1024 * 1024)
    // The package's bzImage stays beside it ("HdrS" at 0x202).
    expect(first.bzImage).toBe(join(first.dir, 'vmlinuz'))
    expect((await readFile(first.bzImage!)).subarray(0x202, 0x206).toString('latin1')).toBe('HdrS')
    expect(first.cmdline).toMatch(/^console=ttyS0 panic=-1 .*cryptomgr\.notests .*bpvm\.grace=10/)
    expect(first.cmdline).toBe(devGuestCmdline())
  }, BUILD_MS)

  it('puts busybox, the init and the chosen modules in the initramfs, each module after what it needs', async () => {
    const names = await initramfsNames(first.initramfs)
    for (const name of ['init', 'bin/busybox', 'bin/sh', 'dev/console', 'lib/bpvm/power-off', 'etc/acpi/PWRF/00000080', 'etc/bpvm/modules']) {
      expect(names).toContain(name)
    }
    const { modules } = first.manifest
    expect(names.filter((n) => n.startsWith('lib/modules/') && n.endsWith('.ko'))).toEqual(modules.map((m) => `lib/modules/${m}.ko`))
    const { stdout } = await execa('cpio', ['-i', '--quiet', '--to-stdout', 'etc/bpvm/modules'], { input: gunzipSync(await readFile(first.initramfs)) })
    expect(stdout.split('\n')).toEqual(modules)
    for (const root of ['virtio_pci', 'virtio_blk', 'virtio_net', 'vfat', 'button', 'evdev']) expect(modules).toContain(root)
    for (const [dep, user] of [['virtio', 'virtio_pci'], ['virtio_ring', 'virtio'], ['virtio', 'virtio_blk'], ['net_failover', 'virtio_net'], ['fat', 'vfat']]) {
      expect(modules.indexOf(dep ?? ''), `${dep} before ${user}`).toBeLessThan(modules.indexOf(user ?? ''))
      expect(modules.indexOf(dep ?? '')).toBeGreaterThanOrEqual(0)
    }
  })

  it('adds the bridge relay to the second initramfs only, uncompressed after the first: socat, its loader and exactly the libraries it loads, which run from there', async () => {
    const base = await readFile(first.initramfs)
    const image = await readFile(first.relayInitramfs)
    // The plain initramfs, then an uncompressed archive at the next 4-byte boundary.
    expect(image.subarray(0, base.length).equals(base)).toBe(true)
    const tailAt = Math.ceil(base.length / 4) * 4
    expect([...image.subarray(base.length, tailAt)].every((byte) => byte === 0)).toBe(true)
    const tail = image.subarray(tailAt)
    expect(tail.subarray(0, 6).toString('latin1')).toBe('070701')
    expect((await initramfsNames(first.initramfs)).filter((n) => n.startsWith('lib/bpvm/relay'))).toEqual([])
    const tailNames = (await execa('cpio', ['-t', '--quiet'], { input: tail })).stdout.split('\n')
    expect(tailNames[0]).toBe('lib/bpvm/relay')
    const files = tailNames.slice(1).map((n) => n.slice('lib/bpvm/relay/'.length))
    expect(files).toEqual(expect.arrayContaining(['socat', 'ld-linux-x86-64.so.2', 'libc.so.6', 'libssl.so.3', 'libcrypto.so.3']))
    const dir = join(cacheDir, 'relay-unpacked')
    await rm(dir, { recursive: true, force: true })
    await execa('mkdir', ['-p', dir])
    await execa('cpio', ['-i', '--quiet', '-d'], { input: tail, cwd: dir })
    const relayDir = join(dir, 'lib/bpvm/relay')
    const run = (args: string[]) => execa(join(relayDir, 'ld-linux-x86-64.so.2'), ['--library-path', relayDir, ...args], { env: { LC_ALL: 'C' }, extendEnv: false })
    // Every library it loads comes from the relay directory, and it runs: the guest has nothing else.
    const listed = (await run(['--list', join(relayDir, 'socat')])).stdout.split('\n').filter((l) => l.includes('=>'))
    expect(listed.length).toBeGreaterThan(3)
    for (const line of listed) expect(line).toContain(relayDir)
    expect((await run([join(relayDir, 'socat'), '-V'])).stdout).toMatch(/socat version 1\.\d/)
    // The loader lists itself by its absolute name: the rest are the libraries, by soname.
    const sonames = listed.map((l) => l.trim().split(' ')[0] as string).filter((name) => !name.includes('/'))
    expect(files.sort()).toEqual(['ld-linux-x86-64.so.2', 'socat', ...sonames].sort())
  })

  it('takes the second call from the cache without building again', async () => {
    const second = await buildDevGuest({ cacheDir })
    expect(second.fromCache).toBe(true)
    expect(second.dir).toBe(first.dir)
    expect(second.manifest).toEqual(first.manifest)
    expect(second.elapsedMs).toBeLessThan(first.elapsedMs)
  }, BUILD_MS)

  it('rebuilds a cached build whose files are damaged, leaving nothing half-made beside it', async () => {
    await truncate(first.initramfs, 1000)
    const rebuilt = await buildDevGuest({ cacheDir })
    expect(rebuilt.fromCache).toBe(false)
    expect(rebuilt.dir).toBe(first.dir)
    expect(rebuilt.manifest.files).toEqual(first.manifest.files)
    expect((await readFile(rebuilt.initramfs)).length).toBe(first.manifest.files.initramfs.bytes)
    expect((await readdir(imagesDir)).filter((name) => !name.startsWith('.'))).toEqual([first.manifest.hash])
  }, BUILD_MS)

  it('lets two builds of a cold cache run at once: both succeed and one build is kept', async () => {
    const otherCache = join(appDirs().cache, `build-race-${randomBytes(4).toString('hex')}`)
    try {
      const builds = await Promise.all([buildDevGuest({ cacheDir: otherCache }), buildDevGuest({ cacheDir: otherCache })])
      expect(builds[0].dir).toBe(builds[1].dir)
      expect(builds.map((b) => b.fromCache).sort()).toEqual([false, true])
      expect((await readdir(join(otherCache, 'images', 'dev'))).filter((name) => !name.startsWith('.'))).toEqual([builds[0].manifest.hash])
      expect((await readFile(builds[0].initramfs)).length).toBe(builds[0].manifest.files.initramfs.bytes)
    } finally {
      await rm(otherCache, { recursive: true, force: true })
    }
  }, BUILD_MS)
})
