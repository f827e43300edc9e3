import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, expect, it, vi } from 'vitest'
import { consoleOnPty } from '../support/consolePty'
import { DEBIAN_BUILD_PROGRAMS, sharedDebianImage } from '../support/debianImage'
import { useLifecycleHost, type Cli } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope } from '../support/runCli'

// Runs as root in the guest: what it prints on the console is what the test checks.
const SERVICE = `#!/bin/sh
echo "svc: args $*"
echo "svc: env http=$HTTP_RPC_URL chain=$CHAIN blueprint=$BLUEPRINT_ID service=$SERVICE_ID keystore=$KEYSTORE_URI data=$DATA_DIR"
find /srv/keystore -type f | sort | while read -r f; do echo "svc: key $f $(cat "$f")"; done
echo "svc: data before [$(cat "$DATA_DIR/boots" 2>/dev/null | tr '\\n' ' ')]"
echo boot >> "$DATA_DIR/boots"
echo "svc: data disk $(findmnt -n -o SOURCE,FSTYPE,LABEL "$DATA_DIR")"
gw=$(ip route | awk '/default/ { print $3 }')
ping -c 1 -W 5 "$gw" > /dev/null && echo "svc: ping $gw ok"
cloud-init schema --system > /tmp/schema 2>&1; echo "svc: schema exit $?: $(tail -n 1 /tmp/schema)"
# A child that ignores SIGINT, as a shell's background jobs do: the unit kills it after the grace period.
sleep 600 &
trap 'echo "svc: SIGINT"; exit 0' INT
while :; do sleep 1; done
`

describeAsRoot('launching the Debian cloud image (QEMU, TCG, cloud-init from bpvm\'s CIDATA, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod', '/usr/bin/python3', ...DEBIAN_BUILD_PROGRAMS], 'launch --image debian', () => {
    const lifecycle = useLifecycleHost('debian')
    // The namespaces have no way out: the image is built from the mirror beforehand.
    beforeAll(() => sharedDebianImage(), 600_000)

    const debianArgs = (work: string, name: string, extra: string[] = []): string[] =>
      lifecycle.launchArgs(work, name).map((arg) => (arg === 'dev' ? 'debian' : arg === '256M' ? '768M' : arg)).concat(extra)

    const guestLog = (name: string): Promise<string> => readFile(join(lifecycle.instanceDir(name), 'logs', 'guest.log'), 'utf8')

    /** `bpvm console NAME` logs root in without a password: a command typed is run, a resize is seen; the serial log gets none of it. */
    async function expectRootConsole(name: string, marker: number): Promise<void> {
      const viewer = consoleOnPty(lifecycle.home, name)
      try {
        await vi.waitFor(() => expect(viewer.output()).toContain(`attached to ${name}'s console`), { timeout: 30_000 })
        // The getty may still be starting again with its autologin: Enter until root's prompt shows.
        await vi.waitFor(
          () => {
            viewer.keys('\r')
            expect(viewer.output()).toMatch(/root@[\w.-]+:[^#\n]*# /)
          },
          { timeout: 120_000, interval: 2_000 }
        )
        viewer.keys(`echo marker-$((${marker} + 1))\r`)
        await vi.waitFor(() => expect(viewer.output()).toContain(`marker-${marker + 1}`), { timeout: 60_000, interval: 500 })
        viewer.resize(33, 97)
        await new Promise((r) => setTimeout(r, 1_000))
        viewer.keys('stty size; id -un\r')
        await vi.waitFor(() => expect(viewer.output()).toMatch(/33 97\s+root/), { timeout: 60_000, interval: 500 })
        viewer.keys('\u001d')
        expect((await viewer.done).exitCode).toBe(0)
      } finally {
        viewer.done.kill()
      }
      expect(await guestLog(name)).not.toContain(`marker-${marker + 1}`)
    }

    async function down(cli: Cli, name: string): Promise<void> {
      expect(envelope(await cli(['down', name, '--json']))).toMatchObject({ ok: true, value: { name, stopped: 'graceful', status: 'Finished' } })
      expect(await guestLog(name)).toContain('svc: SIGINT')
    }

    it('boots with the env, keystore, data disk and network; a relaunch keeps the data and skips cloud-init; teardown is graceful', async () => {
      const { ns, work, cli } = await lifecycle.host(SERVICE)
      expect(envelope(await cli(debianArgs(work, 'deb')))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'deb', state: 'succeeded' } })
      expect(envelope(await cli(['ls', 'deb', '--json']))).toMatchObject({ ok: true, value: { name: 'deb', image: 'debian', vmm: 'qemu' } })
      const running = await lifecycle.waitForStatus(cli, 'deb', 'Running', 300_000)
      expect(running).not.toHaveProperty('guestProblems')
      const log = await lifecycle.waitForGuestLog('deb', 'svc: schema', 120_000)
      expect(log).toContain('svc: args run')
      expect(log).toContain('svc: env http=http://172.30.0.1:9944 chain=local_testnet blueprint=1 service=2 keystore=/srv/keystore data=/mnt/data')
      expect(log).toContain('svc: key /srv/keystore/sr25519/key-1 secret')
      expect(log).toContain('svc: data before []')
      // The data disk was partitioned and formatted by cloud-init, and mounted by its label.
      expect(log).toMatch(/svc: data disk \/dev\/vdc1\s+ext4\s+DATADISK/)
      expect(log).toContain('svc: ping 172.30.0.1 ok')
      // The user-data, as the guest's own cloud-init validates it.
      expect(log).toMatch(/svc: schema exit 0: Valid cloud-config: system userdata/)
      expect(log).toMatch(/Cloud-init v\. \S+ finished at/)
      await expectRootConsole('deb', 41000)
      await down(cli, 'deb')
      await lifecycle.expectNothingLeft(ns, 'deb')

      expect(envelope(await cli(debianArgs(work, 'deb')))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'deb', state: 'succeeded' } })
      await lifecycle.waitForStatus(cli, 'deb', 'Running', 300_000)
      const again = await lifecycle.waitForGuestLog('deb', 'svc: schema', 120_000)
      expect(again).toMatch(/Command line: .*cloud-init=disabled/)
      expect(again).not.toMatch(/Cloud-init v\. \S+ running/)
      expect(again).toContain('svc: data before [boot ]')
      expect(again).toContain('svc: ping 172.30.0.1 ok')
      // Without cloud-init this boot: systemd reads the drop-in written by the first.
      await expectRootConsole('deb', 52000)
      expect(await readFile(join(lifecycle.instanceDir('deb'), 'logs', 'launch.log'), 'utf8')).toContain('booting without it')
      await down(cli, 'deb')
      await lifecycle.expectNothingLeft(ns, 'deb')
    }, 900_000)

    it('with --docker and no mirror to reach: the failed package step is reported with its guest log line, and the service still starts', async () => {
      const { ns, work, cli } = await lifecycle.host(SERVICE)
      expect(envelope(await cli(debianArgs(work, 'dock', ['--docker'])))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'dock', state: 'succeeded' } })
      const running = await lifecycle.waitForStatus(cli, 'dock', 'Running', 400_000)
      expect(running.reason).toMatch(/^the service is running; cloud-init: module package-update-upgrade-install failed \(guest log line \d+\)/)
      const problems = running.guestProblems as Array<{ line: number; kind: string; text: string }>
      const failed = problems.find((p) => p.kind === 'failed')
      expect(failed?.text).toBe('module package-update-upgrade-install failed')
      // The service reaches its trap before it is stopped (a SIGINT before it would end it with 130).
      const log = await lifecycle.waitForGuestLog('dock', 'svc: schema', 120_000)
      // The Docker variant of the user-data is valid too, by the guest's own cloud-init.
      expect(log).toMatch(/svc: schema exit 0: Valid cloud-config: system userdata/)
      const lines = log.split('\n')
      expect(lines[(failed?.line ?? 0) - 1]).toMatch(/Running module package-update-upgrade-install .* failed/)
      await down(cli, 'dock')
      await lifecycle.expectNothingLeft(ns, 'dock')
    }, 900_000)
  })
})
