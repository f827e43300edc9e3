import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { execa } from 'execa'
import { cliCommand, envelope } from '../support/runCli'

// The data disk outlives the VM: the first boot leaves a mark on it that the second one reads.
const SERVICE = `#!/bin/sh
if [ -f "$DATA_DIR/boot" ]; then echo "svc: again $(cat "$DATA_DIR/boot")"; else echo first > "$DATA_DIR/boot" && sync && echo "svc: first boot"; fi
trap 'echo "svc: SIGINT"; exit 0' INT
while :; do sleep 1; done
`

// In a mount namespace of its own, a 1 MiB tmpfs covers the data dir ($0) for this one command
// only; what the command left there is listed into $1 before the namespace, and the tmpfs, go.
const TINY_DATA_DIR = 'mount -t tmpfs -o size=1M tmpfs "$0" || exit 1; listing=$1; shift; "$@"; status=$?; find "$0" ! -type d > "$listing"; exit $status'

describeAsRoot('instance faults through the CLI (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod', 'unshare', 'mount'], 'full disks, relaunches', () => {
    const { netns, home, instanceDir, host, launchArgs, listRows, waitForStatus, waitForGuestLog, expectNothingLeft, expectNetworkClean } = useLifecycleHost('faults')

    it('a data dir on a tiny tmpfs fails with a disk-full error and rolls back', async () => {
      const { ns, work, cli } = await host(SERVICE)
      const dataDir = join(home, 'data')
      await mkdir(dataDir, { recursive: true })
      // Bigger than the whole tmpfs: the service disk cannot be written.
      const big = join(work, 'big-service')
      await writeFile(big, Buffer.concat([Buffer.from('#!/bin/sh\n'), randomBytes(4 * 1024 * 1024)]), { mode: 0o755 })
      const listing = join(work, 'left-in-tmpfs')
      const failed = await cli([...launchArgs(work, 'full'), '--binary', big], ['unshare', '-m', 'sh', '-c', TINY_DATA_DIR, dataDir, listing])
      expect(failed.exitCode).toBe(1)
      expect(envelope(failed)).toMatchObject({ ok: false, error: { code: 'DISK_FULL', message: expect.stringMatching(/^launch failed at step "disks": .*no space left/) } })
      expect(failed.stderrLines).toEqual([expect.stringMatching(/^bpvm: launch failed at step "disks": /)])
      // Nothing partial was left on the full disk, nor in the data dir as the rest of the host sees it.
      expect(await readFile(listing, 'utf8')).toBe('')
      expect(await readdir(dataDir, { recursive: true })).toEqual([])

      const rows = await listRows(cli)
      expect(rows.filter((r) => r.name === 'full')).toMatchObject([{ name: 'full', status: 'Error', reason: expect.stringContaining('step "disks"') }])
      expect(envelope(await cli(['net', 'ls', '--json']))).toMatchObject({ ok: true, value: { leases: [], taps: [], rules: [] } })
      expect(await netns.run(ns, 'ip', ['-j', 'link', 'show'])).not.toContain('tap-tngl-')
      const record = JSON.parse(await readFile(join(instanceDir('full'), 'instance.json'), 'utf8'))
      // The launch never reached the VMM step: no VMM was started, so none can be left.
      expect(record).toMatchObject({ phase: 'stopped', outcome: { status: 'Error' } })
      expect(record.process).toBeUndefined()
      await expectNothingLeft(ns, 'full')
    })

    it('launching the name of a stopped instance starts it again with its data disk kept', async () => {
      const { ns, work, cli } = await host(SERVICE)
      expect(envelope(await cli(launchArgs(work, 'again')))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'again', state: 'succeeded' } })
      await waitForStatus(cli, 'again', 'Running', 90_000)
      expect(await waitForGuestLog('again', 'svc: first boot', 60_000)).toContain('svc: first boot')
      // The name is taken while the instance runs.
      const taken = await cli(launchArgs(work, 'again'))
      expect(taken.exitCode).toBe(1)
      expect(envelope(taken)).toMatchObject({ ok: false, error: { code: 'INSTANCE_EXISTS' } })
      expect(await waitForStatus(cli, 'again', 'Running', 1_000)).toMatchObject({ name: 'again' })

      expect(envelope(await cli(['down', 'again', '--json', '--timeout', '30']))).toMatchObject({ ok: true, value: { name: 'again', stopped: 'graceful' } })
      await expectNothingLeft(ns, 'again')

      const relaunched = await cli(launchArgs(work, 'again'))
      expect(relaunched.stderr).toBe('')
      expect(envelope(relaunched)).toMatchObject({ ok: true, value: { kind: 'launch', target: 'again', state: 'succeeded' } })
      expect(await waitForGuestLog('again', 'svc: again first', 90_000)).toContain('svc: again first')
      // The service of the second boot has started and runs: `ls` reports on it, not on the first boot that ended.
      expect.soft((await listRows(cli)).find((r) => r.name === 'again')).toMatchObject({ status: 'Running', reason: 'the service is running' })

      expect(envelope(await cli(['down', 'again', '--json', '--timeout', '30']))).toMatchObject({ ok: true, value: { name: 'again', stopped: 'graceful' } })
      await expectNothingLeft(ns, 'again')
      expect((await listRows(cli)).find((r) => r.name === 'again')).toMatchObject({ status: 'Finished' })
    }, 300_000)

    it('two launches of one name at once: one boots it, the other is refused with nothing of it made', async () => {
      const { ns, work, cli } = await host(SERVICE)
      const [a, b] = await Promise.all([cli(launchArgs(work, 'twin')), cli(launchArgs(work, 'twin'))])
      const results = [envelope(a), envelope(b)]
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      expect(results.filter((r) => !r.ok).map((r) => r.error?.code)).toEqual(['INSTANCE_EXISTS'])
      expect((await listRows(cli)).filter((r) => r.name === 'twin')).toHaveLength(1)
      expect(JSON.parse(await readFile(join(home, 'state', 'leases.json'), 'utf8')).leases).toHaveLength(1)
      expect(envelope(await cli(['down', 'twin', '--force', '--json']))).toMatchObject({ ok: true })
      await expectNothingLeft(ns, 'twin')
    })

    it.each([
      ['Ctrl-C', 'SIGINT', 'interrupted'],
      ['SIGTERM', 'SIGTERM', 'terminated']
    ] as const)('%s during a launch cancels its task through the service, which undoes every step', async (_how, signal, name) => {
      const { ns, work } = await host(SERVICE)
      const [node, args] = cliCommand(launchArgs(work, name))
      const launching = execa('ip', ['netns', 'exec', ns, node, ...args], { env: { BPVM_HOME: home }, reject: false, cwd: process.cwd() })
      const launchLog = join(instanceDir(name), 'logs', 'launch.log')
      const deadline = Date.now() + 60_000
      // Interrupted once the disks are being built: the lease and the record exist by then.
      while (!(await readFile(launchLog, 'utf8').catch(() => '')).includes(' disks: ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      launching.kill(signal)
      const ended = await launching
      expect(ended.exitCode).toBe(1)
      expect(String(ended.stderr)).toContain('bpvm: cancelling the launch')
      expect(JSON.parse(String(ended.stdout))).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
      await expectNetworkClean(ns)
      expect(JSON.parse(await readFile(join(instanceDir(name), 'instance.json'), 'utf8'))).toMatchObject({ phase: 'stopped', outcome: { status: 'Error' } })
    })
  })
})
