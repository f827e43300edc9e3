import { mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { expect, it } from 'vitest'
import { imageInfo } from '../../src/main/runtime/disk/qemuImg'
import { buildDevGuest } from '../../src/main/runtime/image/devGuest/buildDevGuest'
import { UBUNTU_FILES, UBUNTU_RELEASE_NAME } from '../../src/main/runtime/image/ubuntuRelease'
import { IMAGE_PATH, RELEASE_PATH, makeFixtureRelease } from '../image/ubuntuFixture'
import { FAKE_CH, describeWithChSpec } from '../support/fakeChHarness'
import { useLifecycleHost } from '../support/lifecycleHost'
import { lineLog } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

const SERVICE = `#!/bin/sh
echo "svc: ready on $(cat /proc/cmdline)"
trap 'echo "svc: SIGINT"; exit 0' INT
while :; do sleep 1; done
`

const imageServer = new URL('../support/imageServerChild.ts', import.meta.url).pathname

describeAsRoot('launching the Ubuntu image (QEMU, TCG, a stand-in release on a mirror in the namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod'], 'launch --image ubuntu', () => {
    const lifecycle = useLifecycleHost('images')
    const tempDir = useTempDirs()

    /** The mirror's files on disk, as the child server serves them; `corrupt` flips a byte of the image. */
    async function mirror(files: Map<string, Buffer>, corrupt = false): Promise<string> {
      const root = await tempDir()
      for (const [path, body] of files) {
        const copy = Buffer.from(body)
        if (corrupt && path === IMAGE_PATH) copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff
        await mkdir(dirname(join(root, path)), { recursive: true })
        await writeFile(join(root, path), copy)
      }
      return root
    }

    it('downloads the release during the launch: a bad checksum fails and keeps nothing, a cut download resumes, the root disk is an overlay', async () => {
      const { ns, work, cli } = await lifecycle.host(SERVICE)
      // The release boots the dev guest's kernel and initramfs, so the pipeline is proven end to end offline.
      const guest = await buildDevGuest({ cacheDir: join(lifecycle.home, 'cache') })
      const release = await makeFixtureRelease(await tempDir(), { kernel: await readFile(guest.kernel), initrd: await readFile(guest.initramfs) })
      const serve = async (root: string, args: string[] = []) => {
        const child = lifecycle.netns.spawn(ns, 'node', ['--import', 'tsx', imageServer, root, ...args])
        const lines = lineLog(child)
        const { origin } = JSON.parse(await lines.waitFor((l) => l.includes('origin'), 15_000)) as { origin: string }
        return { child, lines, env: ['env', `BPVM_UBUNTU_BASE_URL=${origin}${RELEASE_PATH}`] }
      }
      const launchArgs = lifecycle.launchArgs(work, 'ubu').map((arg) => (arg === 'dev' ? 'ubuntu' : arg))
      const releaseDir = join(lifecycle.home, 'cache', 'images', 'ubuntu', UBUNTU_RELEASE_NAME)

      const bad = await serve(await mirror(release.files, true))
      const refused = envelope(await cli(launchArgs, bad.env))
      expect(refused).toMatchObject({ ok: false, error: { code: 'CHECKSUM_MISMATCH' } })
      expect(refused.error?.message).toMatch(/^launch failed at step "image": /)
      expect((await readdir(releaseDir)).filter((f) => f.startsWith(UBUNTU_FILES.image))).toEqual([])
      await lifecycle.expectNetworkClean(ns)
      bad.child.kill()

      const half = Math.floor(release.image.length / 2)
      const good = await serve(await mirror(release.files), ['--cut', `${IMAGE_PATH}=${half}`])
      const launched = envelope(await cli(launchArgs, good.env))
      expect(launched).toMatchObject({ ok: true, value: { kind: 'launch', target: 'ubu', state: 'succeeded' } })
      expect(envelope(await cli(['ls', 'ubu', '--json']))).toMatchObject({ ok: true, value: { name: 'ubu', vmm: 'qemu', image: 'ubuntu' } })
      // The first answer was cut halfway; the second asked only for the rest. (What reached the
      // client before the cut may be a little less than what the server wrote: a reset drops the rest.)
      const resumed = JSON.parse(await good.lines.waitFor((l) => l.includes(IMAGE_PATH) && l.includes('"status":206'), 5_000)) as { range?: string }
      const from = Number(/^bytes=(\d+)-$/.exec(resumed.range ?? '')?.[1])
      expect(from).toBeGreaterThan(0)
      expect(from).toBeLessThanOrEqual(half)
      const root = await imageInfo(join(lifecycle.home, 'data', 'instances', 'ubu', 'root.qcow2'))
      expect(root.backingFile).toBe(join(releaseDir, UBUNTU_FILES.base))
      expect(root.virtualSizeBytes).toBe(256 * 2 ** 20)

      await lifecycle.waitForStatus(cli, 'ubu', 'Running', 90_000)
      expect(await lifecycle.waitForGuestLog('ubu', 'svc: ready', 60_000)).toMatch(/svc: ready on root=\/dev\/vda1 rw console=ttyS0 panic=-1 no_timer_check/)
      expect(envelope(await cli(['down', 'ubu', '--json']))).toMatchObject({ ok: true, value: { name: 'ubu', stopped: 'graceful' } })
      await lifecycle.expectNothingLeft(ns, 'ubu')
      // The next launch of the same name finds the release in the cache and keeps the root disk.
      good.child.kill()
      const again = envelope(await cli(launchArgs))
      expect(again).toMatchObject({ ok: true, value: { kind: 'launch', target: 'ubu', state: 'succeeded' } })
      expect(envelope(await cli(['ls', 'ubu', '--json']))).toMatchObject({ ok: true, value: { image: 'ubuntu' } })
      expect(await readFile(join(lifecycle.instanceDir('ubu'), 'logs', 'launch.log'), 'utf8')).toContain('preparing the ubuntu image')
      // The base under a root disk is not removed from under it.
      expect(envelope(await cli(['image', 'rm', `ubuntu/${UBUNTU_RELEASE_NAME}`, '--json']))).toMatchObject({ ok: false, error: { code: 'IMAGE_IN_USE' } })
      expect((await readdir(releaseDir))).toContain(UBUNTU_FILES.base)
      expect(envelope(await cli(['down', 'ubu', '--force', '--purge', '--json']))).toMatchObject({ ok: true })
      await lifecycle.expectNetworkClean(ns)
      expect(envelope(await cli(['image', 'rm', `ubuntu/${UBUNTU_RELEASE_NAME}`, '--json']))).toMatchObject({ ok: true })
    }, 300_000)

    it('boots a custom image directory: its kernel, initrd and command line, and an overlay on its raw root disk', async () => {
      const { ns, work, cli } = await lifecycle.host(SERVICE)
      const guest = await buildDevGuest({ cacheDir: join(lifecycle.home, 'cache') })
      const image = await tempDir()
      await writeFile(join(image, 'vmlinuz'), await readFile(guest.kernel))
      await writeFile(join(image, 'initrd'), await readFile(guest.initramfs))
      await writeFile(join(image, 'cmdline'), 'console=ttyS0 panic=-1 quiet\n')
      await writeFile(join(image, 'root.img'), '')
      await truncate(join(image, 'root.img'), 64 * 2 ** 20)
      // Beside the suite's other guests, a launch or a graceful stop here has taken most of a minute.
      const launchArgs = lifecycle.launchArgs(work, 'own').map((arg) => (arg === 'dev' ? image : arg))
      expect(envelope(await cli(launchArgs))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'own', state: 'succeeded' } })
      expect(envelope(await cli(['ls', 'own', '--json']))).toMatchObject({ ok: true, value: { name: 'own', image } })
      const root = await imageInfo(join(lifecycle.home, 'data', 'instances', 'own', 'root.qcow2'))
      expect(root).toMatchObject({ backingFile: join(image, 'root.img'), backingFormat: 'raw', virtualSizeBytes: 256 * 2 ** 20 })
      expect(await lifecycle.waitForGuestLog('own', 'svc: ready', 60_000)).toContain('svc: ready on console=ttyS0 panic=-1 quiet no_timer_check')
      expect(envelope(await cli(['down', 'own', '--purge', '--json']))).toMatchObject({ ok: true, value: { name: 'own', purged: true } })
      await lifecycle.expectNetworkClean(ns)
      // The user's image is theirs: a purge removes the instance's overlay, never the base.
      expect((await readdir(image)).sort()).toEqual(['cmdline', 'initrd', 'root.img', 'vmlinuz'])
    }, 300_000)
  })
})

describeAsRoot('launching with cloud-hypervisor (its API contract served by the stand-in VMM)', () => {
  describeWithChSpec('launch with the VMM setting on auto', () => {
    const lifecycle = useLifecycleHost('ch')
    const tempDir = useTempDirs()

    it('picks cloud-hypervisor when it is installed, drives it over its API, and tears it down leaving nothing', async () => {
      const { ns, work, cli } = await lifecycle.host(SERVICE)
      // "Installed": a `cloud-hypervisor` on PATH, here the stand-in that checks every request against the contract.
      const bin = await tempDir()
      const tsx = new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url).href
      await writeFile(join(bin, 'cloud-hypervisor'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import ${tsx} ${JSON.stringify(FAKE_CH)} "$@"\n`, { mode: 0o755 })
      const withCh = ['env', `PATH=${bin}:${process.env.PATH ?? ''}`]
      const args = lifecycle.launchArgs(work, 'chvm').filter((arg, i, all) => !['--vmm', '--accel'].includes(arg) && !['--vmm', '--accel'].includes(all[i - 1] ?? ''))

      const launched = envelope(await cli(args, withCh))
      expect(launched).toMatchObject({ ok: true, value: { kind: 'launch', target: 'chvm', state: 'succeeded' } })
      expect(envelope(await cli(['ls', 'chvm', '--json']))).toMatchObject({ ok: true, value: { name: 'chvm', vmm: 'cloud-hypervisor', image: 'dev' } })
      const logs = join(lifecycle.instanceDir('chvm'), 'logs')
      const requests = (await readFile(join(logs, 'vmm.stdout.log'), 'utf8')).split('\n').filter((l) => l.startsWith('{"method"'))
      const createLine = JSON.parse(requests.find((l) => l.includes('vm.create')) ?? '{}') as { body?: string }
      const create = JSON.parse(createLine.body ?? '{}') as { disks?: Array<{ path: string }>; net?: Array<{ tap: string }>; vsock?: { cid: number } }
      expect(create.disks?.map((d) => d.path.split('/').pop())).toEqual(['cidata.img', 'data.qcow2', 'service.img'])
      expect(create.net?.[0]?.tap).toBe('tap-tngl-1')
      expect(create.vsock?.cid).toBe(4)
      expect(await readFile(join(logs, 'vmm.stderr.log'), 'utf8')).not.toContain('CONTRACT VIOLATION')
      // The stand-in boots no guest: the VM runs, the service has not said it started.
      const row = (await lifecycle.listRows(cli)).find((r) => r.name === 'chvm')
      expect(row).toMatchObject({ status: 'Pending', reason: 'the guest is booting', vmm: 'cloud-hypervisor', bridge: { transport: 'vsock', running: true } })
      // The stand-in's "service" dialed <vsock socket>_8000 after vm.boot and pinged: the instance shows it connected.
      const deadline = Date.now() + 15_000
      let bridge = row?.bridge as { pings?: number } | undefined
      while ((bridge?.pings ?? 0) < 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200))
        bridge = (await lifecycle.listRows(cli)).find((r) => r.name === 'chvm')?.bridge as { pings?: number } | undefined
      }
      expect(bridge).toMatchObject({ transport: 'vsock', running: true, pings: 1, lastPingAt: expect.any(String) })
      const ls = await cli(['ls'])
      expect(ls.stdout).toMatch(/chvm .*bridge connected \d+ s ago \(vsock\)/)

      expect(envelope(await cli(['down', 'chvm', '--json']))).toMatchObject({ ok: true, value: { name: 'chvm', stopped: 'graceful' } })
      await lifecycle.expectNothingLeft(ns, 'chvm')
      expect((await readdir(lifecycle.instanceDir('chvm'))).filter((f) => f.startsWith('vsock') || f.endsWith('.sock'))).toEqual([])
      expect(await readFile(join(logs, 'vmm.stderr.log'), 'utf8')).not.toContain('CONTRACT VIOLATION')
    }, 120_000)
  })
})
