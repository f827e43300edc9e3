import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildCidataDisk } from '../../src/main/runtime/disk/cidata'
import { ensureDataDisk } from '../../src/main/runtime/disk/dataDisk'
import { buildServiceDisk } from '../../src/main/runtime/disk/serviceDisk'
import { buildDevGuest, type DevGuestBuild } from '../../src/main/runtime/image/devGuest/buildDevGuest'
import { devGuestCmdline } from '../../src/main/runtime/image/devGuest/devGuestLayout'
import { parseGuestMarker } from '../../src/main/runtime/vmm/guestMarkers'
import { useDevGuestVms, type DevGuestVm, type GuestDrive } from '../support/devGuestVm'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { BOOT_PROGRAMS, GUEST_NET, SERVICE_SCRIPT, STUBBORN_SERVICE } from './devGuestFixtures'

const BOOT_MS = 90_000
const TEST_MS = 240_000

describeWithPrograms(BOOT_PROGRAMS, 'the dev guest, booted under QEMU (TCG)', () => {
  describeAsRoot('with its disks and a TAP in a network namespace', () => {
    const netns = useNetns()
    const startVm = useDevGuestVms()
    let guest: DevGuestBuild
    let work: string

    beforeAll(async () => {
      guest = await buildDevGuest()
      work = await mkdtemp(join(tmpdir(), 'bpvm-dev-boot-'))
    }, TEST_MS)
    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true })
    })

    /** A namespace holding the TAP the guest's NIC is attached to, with the gateway's address. */
    async function tapNamespace(): Promise<string> {
      const ns = await netns.create()
      await execa('ip', ['-n', ns, 'tuntap', 'add', 'dev', GUEST_NET.tap, 'mode', 'tap'])
      await execa('ip', ['-n', ns, 'addr', 'add', `${GUEST_NET.gateway}/${GUEST_NET.prefix}`, 'dev', GUEST_NET.tap])
      await execa('ip', ['-n', ns, 'link', 'set', GUEST_NET.tap, 'up'])
      return ns
    }

    /** Builds a VM's service, cloud-init and data disks under `dir` (an existing data disk is kept). */
    async function disks(dir: string, service: string, instanceId: string): Promise<GuestDrive[]> {
      await mkdir(join(dir, 'keystore', 'ecdsa'), { recursive: true })
      await writeFile(join(dir, 'keystore', 'ecdsa', 'operator-key'), 'not a real key\n')
      await writeFile(join(dir, 'service.sh'), service, { mode: 0o755 })
      await buildServiceDisk({
        binary: join(dir, 'service.sh'),
        keystore: join(dir, 'keystore'),
        env: {
          httpRpcUrl: 'http://10.77.0.1:9944',
          wsRpcUrl: 'ws://10.77.0.1:9944',
          blueprintId: 7,
          serviceId: 42,
          protocol: 'tangle',
          extraEnv: [['GATEWAY', GUEST_NET.gateway], ['GREETING', `it's "quoted" $HOME`]]
        },
        args: { pretty: true, extraArgs: [['--tag', 'two words']] },
        out: join(dir, 'service.img'),
        // A second boot of the same VM rebuilds its disks, as a relaunch does.
        replace: true
      })
      await buildCidataDisk({ instanceId, mac: GUEST_NET.mac, address: `${GUEST_NET.address}/${GUEST_NET.prefix}`, gateway: GUEST_NET.gateway, out: join(dir, 'cidata.img'), replace: true })
      await ensureDataDisk({ path: join(dir, 'data.qcow2'), sizeBytes: 256 * 2 ** 20 })
      // The reference's order without a root disk: the dev guest's root is its initramfs.
      return [
        { role: 'cidata', path: join(dir, 'cidata.img'), format: 'raw', readOnly: true },
        { role: 'data', path: join(dir, 'data.qcow2'), format: 'qcow2' },
        { role: 'service', path: join(dir, 'service.img'), format: 'raw', readOnly: true }
      ]
    }

    async function boot(dir: string, drives: GuestDrive[], cmdline = guest.cmdline): Promise<DevGuestVm> {
      const ns = await tapNamespace()
      return startVm({
        kernel: guest.kernel,
        initramfs: guest.initramfs,
        cmdline,
        drives,
        serialLog: join(dir, `serial-${Date.now()}.log`),
        net: { netns: ns, tap: GUEST_NET.tap, mac: GUEST_NET.mac, hostAddress: GUEST_NET.gateway, prefix: GUEST_NET.prefix }
      })
    }

    function markers(vm: DevGuestVm) {
      return vm.lines().flatMap((line) => parseGuestMarker(line.text) ?? [])
    }

    it('runs the service with its args, env, keystore, data disk and network, then powers off', async () => {
      const dir = join(work, 'vm')
      await mkdir(dir)
      const drives = await disks(dir, SERVICE_SCRIPT, 'dev-guest-test-1')
      const vm = await boot(dir, drives)

      const started = await vm.waitForLine(/BPVM_EVENT service-started pid=\d+/, BOOT_MS)
      const exited = await vm.waitForLine(/BPVM_EVENT service-exited status=\d+/, BOOT_MS)
      expect(await vm.waitForExit(30_000)).toBe(0)
      console.info(`dev guest first boot: first serial byte ${vm.firstByteMs()} ms, service started ${started.atMs} ms, exited ${exited.atMs} ms after spawn`)

      const log = vm.log()
      expect(log).toContain('bpvm-init: instance-id dev-guest-test-1')
      expect(log).toContain(`bpvm-init: network: default route via ${GUEST_NET.gateway}`)
      expect(log).toContain('bpvm-init: data disk: first boot, formatting /dev/vdb')
      expect(log).toMatch(/service: args: \[run\] \[--pretty\] \[--tag\] \[two words\]\r?\n/)
      expect(log).toContain('service: env SERVICE_ID=42')
      expect(log).toContain('service: env DATA_DIR=/mnt/data')
      expect(log).toContain('service: env KEYSTORE_URI=/srv/keystore')
      expect(log).toContain(`service: env GREETING=it's "quoted" $HOME`)
      expect(log).toContain('service: keystore /srv/keystore/ecdsa/operator-key')
      expect(log).toContain(`service: ping ${GUEST_NET.gateway} ok`)
      expect(log).toContain('service: data read back: written on the first boot')
      expect(markers(vm)).toEqual([
        { event: 'service-started', pid: expect.any(Number) },
        { event: 'service-exited', status: 3 }
      ])
      expect(log).toContain('bpvm-init: powering off')
    }, TEST_MS)

    it('keeps the data disk on the next boot and stops the service with SIGINT on the power button', async () => {
      const dir = join(work, 'vm')
      const drives = await disks(dir, SERVICE_SCRIPT, 'dev-guest-test-1')
      const vm = await boot(dir, drives)

      await vm.waitForLine(/service: waiting for SIGINT/, BOOT_MS)
      expect(vm.log()).toContain('bpvm-init: data disk: keeping the DATADISK filesystem on /dev/vdb')
      expect(vm.log()).toContain('service: data kept: written on the first boot')
      expect(vm.log()).not.toContain('formatting /dev/vdb')

      await vm.vm.powerButton()
      await vm.waitForLine(/service: got SIGINT/, 30_000)
      expect(await vm.waitForExit(30_000)).toBe(0)
      expect(markers(vm)).toEqual([
        { event: 'service-started', pid: expect.any(Number) },
        { event: 'service-exited', status: 0 }
      ])
    }, TEST_MS)

    it('powers off after the grace period when the service ignores SIGINT', async () => {
      const dir = join(work, 'stubborn')
      await mkdir(dir)
      const drives = await disks(dir, STUBBORN_SERVICE, 'dev-guest-test-2')
      const vm = await boot(dir, drives, devGuestCmdline(2))

      await vm.waitForLine(/service: ignoring SIGINT/, BOOT_MS)
      await vm.vm.powerButton()
      const pressed = await vm.waitForLine(/bpvm-init: sending SIGINT/, 30_000)
      expect(await vm.waitForExit(30_000)).toBe(0)
      const gaveUp = await vm.waitForLine(/bpvm-init: the service did not stop within 2 s/, 1000)
      expect(gaveUp.atMs - pressed.atMs).toBeGreaterThanOrEqual(1500)
      expect(markers(vm)).toEqual([
        { event: 'service-started', pid: expect.any(Number) },
        { event: 'service-exited', status: 137 }
      ])
    }, TEST_MS)

    it('does not start the service when the power button is pressed while the guest boots', async () => {
      const dir = join(work, 'early-stop')
      await mkdir(dir)
      const drives = await disks(dir, SERVICE_SCRIPT, 'dev-guest-test-4')
      const vm = await boot(dir, drives)

      // acpid listens before the disks are set up; formatting the new data disk leaves time to press.
      await vm.waitForLine(/bpvm-init: instance-id dev-guest-test-4/, BOOT_MS)
      await vm.vm.powerButton()
      await vm.waitForLine(/bpvm-init: the power button was pressed before the service started; not starting it/, 30_000)
      expect(await vm.waitForExit(30_000)).toBe(0)
      expect(markers(vm)).toEqual([])
      expect(vm.log()).not.toContain('service: args')
    }, TEST_MS)

    it('prints why and powers off when a disk is missing, instead of hanging', async () => {
      const dir = join(work, 'broken')
      await mkdir(dir)
      const drives = await disks(dir, SERVICE_SCRIPT, 'dev-guest-test-3')
      const vm = await boot(dir, drives.slice(1))

      await vm.waitForLine(/bpvm-init: error: no disk labelled CIDATA/, BOOT_MS)
      expect(await vm.waitForExit(30_000)).toBe(0)
      expect(markers(vm)).toEqual([])
    }, TEST_MS)
  })
})
