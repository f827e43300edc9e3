import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdir, readdir, readlink, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { execa } from 'execa'
import { beforeAll, expect, it } from 'vitest'
import { imageInfo, convertImage } from '../../src/main/runtime/disk/qemuImg'
import { buildDebianImage, type DebianImage } from '../../src/main/runtime/image/debian/buildDebianImage'
import { listImages } from '../../src/main/runtime/image/imageCatalog'
import { mountsUnder } from '../../src/main/runtime/state/safeRemove'
import { DEBIAN_BUILD_PROGRAMS, SHARED_DEBIAN_EXTRAS, sharedDebianImage } from '../support/debianImage'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { cliCommand, envelope, repoRoot, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

const run = promisify(execFile)

/** An address on loopback where nothing listens: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** What a build left in a cache: every entry of images/debian but the lock files (which are harmless and reused). */
async function debianEntries(cacheDir: string): Promise<string[]> {
  return (await readdir(join(cacheDir, 'images', 'debian')).catch(() => [] as string[])).filter((name) => !name.endsWith('.lock'))
}

/** Processes whose command line mentions `text` (a build's own cache directory). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = []
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`)
  }
  return found
}

describeAsRoot('building the Debian image (mmdebstrap from the host\'s Debian mirror)', () => {
  describeWithPrograms([...DEBIAN_BUILD_PROGRAMS, 'partx', 'debugfs', 'e2fsck'], 'bpvm image build-debian', () => {
    const tempDir = useTempDirs()
    let image: DebianImage

    beforeAll(async () => {
      image = await sharedDebianImage()
    }, 600_000)

    it('builds a cloud guest with systemd, logind, cloud-init and the cloud kernel, on an MBR partition labelled for root=/dev/vda1', async () => {
      const { manifest } = image
      for (const name of ['systemd', 'systemd-sysv', 'udev', 'dbus', 'libpam-systemd', 'cloud-init', 'e2fsprogs', 'iproute2', 'iputils-ping', 'ca-certificates', 'fdisk', 'linux-image-cloud-amd64', 'socat', 'python3-grpcio']) {
        expect(manifest.packages, name).toHaveProperty([name])
      }
      expect(manifest.suite).toBe('bookworm')
      expect(manifest.kernelRelease).toMatch(/-cloud-amd64$/)
      expect(image.name).toMatch(/^debian\/bookworm-[0-9a-f]{12}$/)
      const base = await imageInfo(image.base)
      expect(base).toMatchObject({ format: 'qcow2', virtualSizeBytes: manifest.baseVirtualSizeBytes })
      expect(base.backingFile).toBeUndefined()

      // The disk as the guest sees it: one Linux partition at 1 MiB holding an ext4 root.
      const raw = join(await tempDir(), 'root.raw')
      await convertImage({ source: image.base, sourceFormat: 'qcow2', target: raw, targetFormat: 'raw' })
      const { stdout: parts } = await run('partx', ['--show', '--noheadings', '-o', 'NR,START,TYPE', raw])
      expect(parts.trim().split(/\s+/)).toEqual(['1', '2048', '0x83'])
      const root = `${raw}?offset=${2 ** 20}`
      expect((await run('e2fsck', ['-fn', root])).stdout).toMatch(/^bpvm-root: /m)
      const cat = async (path: string): Promise<string> => (await run('debugfs', ['-R', `cat ${path}`, root])).stdout
      expect(await cat('/etc/fstab')).toBe('LABEL=bpvm-root / ext4 defaults,errors=remount-ro 0 1\n')
      expect(await cat('/etc/cloud/cloud.cfg.d/90-bpvm.cfg')).toContain('datasource_list: [ NoCloud, None ]')
      // The kernel and initrd are those of the tree.
      expect(await cat('/etc/hostname')).toBe('bpvm\n')
      const boot = (await run('debugfs', ['-R', 'ls -l /boot', root])).stdout
      expect(boot).toContain(`vmlinuz-${manifest.kernelRelease}`)
      expect(boot).toContain(`initrd.img-${manifest.kernelRelease}`)
    })

    it('takes an unchanged build from the cache, lists it, and leaves no scratch directory', async () => {
      const cli = await runCli(['image', 'build-debian', '--include', SHARED_DEBIAN_EXTRAS.join(','), '--json'], { env: { BPVM_HOME: process.env.BPVM_HOME ?? '' } })
      expect(envelope(cli)).toMatchObject({ ok: true, value: { name: image.name, dir: image.dir, fromCache: true } })
      const catalog = await listImages({ cacheDir: join(process.env.BPVM_HOME ?? '', 'cache') })
      expect(catalog.images.find((entry) => entry.name === image.name)).toMatchObject({ kind: 'debian', complete: true })
      expect((await debianEntries(join(process.env.BPVM_HOME ?? '', 'cache'))).filter((name) => name.startsWith('.'))).toEqual([])
    })

    it('refuses an unreachable mirror, an unknown package and a bad name with a clear error, leaving nothing', async () => {
      const home = await tempDir()
      const env = { BPVM_HOME: home }
      const unreachable = envelope(await runCli(['image', 'build-debian', '--mirror', `http://127.0.0.1:${await closedPort()}/debian`, '--json'], { env }))
      expect(unreachable).toMatchObject({ ok: false, error: { code: 'MIRROR_UNREACHABLE' } })
      expect(unreachable.error?.message).toMatch(/^mirror: cannot reach http:\/\/127\.0\.0\.1:\d+\/debian \(ECONNREFUSED\)/)
      const badName = envelope(await runCli(['image', 'build-debian', '--include', 'curl,--force-yes', '--json'], { env }))
      expect(badName).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: 'include: "--force-yes" is not a Debian package name' } })
      const badSuite = envelope(await runCli(['image', 'build-debian', '--suite', 'no-such-suite', '--json'], { env }))
      expect(badSuite).toMatchObject({ ok: false, error: { code: 'SUITE_NOT_FOUND' } })

      const unknown = await buildDebianImage({ cacheDir: join(home, 'cache'), include: ['bpvm-no-such-package'] }).catch((error: unknown) => error)
      expect(unknown).toMatchObject({ code: 'PACKAGE_NOT_FOUND', message: expect.stringMatching(/^include: .* has no package bpvm-no-such-package in bookworm$/) })
      expect(await debianEntries(join(home, 'cache'))).toEqual([])
      expect(await mountsUnder(home)).toEqual([])
    }, 300_000)

    it('stops with DISK_FULL when the cache fills up, and removes what it had written', async () => {
      const home = await tempDir()
      const cache = join(home, 'cache')
      await mkdir(cache)
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', cache])
      try {
        const full = await buildDebianImage({ cacheDir: cache }).catch((error: unknown) => error)
        expect(full).toMatchObject({ code: 'DISK_FULL' })
        expect(await debianEntries(cache)).toEqual([])
        expect(await mountsUnder(cache)).toEqual([cache])
      } finally {
        await execa('umount', [cache])
      }
    }, 300_000)

    it('stops on Ctrl-C in the middle of the build: cancelled, no process, mount or half-made image left', async () => {
      const home = await tempDir()
      const [node, args] = cliCommand(['image', 'build-debian'])
      const child = execa(node, args, { cwd: repoRoot, env: { BPVM_HOME: home }, reject: false })
      const debianDir = join(home, 'cache', 'images', 'debian')
      // Interrupted once mmdebstrap is at work: its tree has apt's lists or packages in it.
      const deadline = Date.now() + 120_000
      for (;;) {
        const work = (await readdir(debianDir).catch(() => [] as string[])).find((name) => name.endsWith('.work'))
        const apt = work ? await readdir(join(debianDir, work, 'tree', 'var', 'lib', 'apt', 'lists')).catch(() => [] as string[]) : []
        if (apt.some((name) => name.endsWith('Packages') || name.endsWith('Packages.xz'))) break
        if (Date.now() > deadline) throw new Error('the build never got to the package lists')
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      child.kill('SIGINT')
      const result = await child
      expect(result.exitCode).not.toBe(0)
      expect(String(result.stderr)).toMatch(/cancelled/)
      expect(await debianEntries(join(home, 'cache'))).toEqual([])
      expect(await processesMentioning(home)).toEqual([])
      expect(await mountsUnder(home)).toEqual([])
      // The /dev the build mounted into its tree stayed in its own namespace: the host's is whole.
      expect(await readlink('/dev/fd')).toBe('/proc/self/fd')
    }, 300_000)
  })
})
