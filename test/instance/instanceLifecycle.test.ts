import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms, missingPrograms } from '../support/prerequisites'
import { cliCommand, envelope } from '../support/runCli'
import { execa } from 'execa'

const SERVICE = `#!/bin/sh
echo "svc: args $*"
echo "svc: http $HTTP_RPC_URL chain $CHAIN"
find /srv/keystore -type f | sed 's/^/svc: key /'
echo "kept" > "$DATA_DIR/file" && echo "svc: data $(cat "$DATA_DIR/file")"
gw=$(ip route | awk '/default/ { print $3 }')
ping -c 1 -W 5 "$gw" > /dev/null && echo "svc: ping $gw ok"
trap 'echo "svc: SIGINT"; exit 0' INT
while :; do sleep 1; done
`

describeAsRoot('instance lifecycle through the CLI (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod'], 'launch, status, teardown', () => {
    const { netns, home, host: hostWith, launchArgs, listRows, waitForStatus, waitForGuestLog, expectNetworkClean, expectNothingLeft } = useLifecycleHost('lifecycle')
    const host = () => hostWith(SERVICE)

    it('launches a service, shows it Running with its output, and tears it down leaving nothing behind', async () => {
      const { ns, work, cli } = await host()
      const launched = await cli(launchArgs(work, 'svc'))
      expect(launched.stderr).toBe('')
      expect(envelope(launched)).toMatchObject({ ok: true, value: { kind: 'launch', target: 'svc', state: 'succeeded' } })
      expect(envelope(await cli(['ls', 'svc', '--json']))).toMatchObject({ ok: true, value: { name: 'svc', guestAddress: '172.30.0.2', vmm: 'qemu' } })

      const running = await waitForStatus(cli, 'svc', 'Running', 90_000)
      expect(running).toMatchObject({ guestAddress: '172.30.0.2', vmm: 'qemu', vcpus: 1, memoryBytes: 256 * 1024 * 1024 })
      const guestLog = join(home, 'state', 'instances', 'svc', 'logs', 'guest.log')
      const log = await waitForGuestLog('svc', 'svc: ping', 60_000)
      expect(log).toContain('svc: args run')
      // The host's loopback became the TAP's address; CHAIN was decided on the URL as given.
      expect(log).toContain('svc: http http://172.30.0.1:9944 chain local_testnet')
      expect(log).toContain('svc: key /srv/keystore/sr25519/key-1')
      expect(log).toContain('svc: data kept')
      expect(log).toContain('svc: ping 172.30.0.1 ok')
      // The same through `bpvm logs`, and the launch steps through its launch stream.
      const viaCli = await cli(['logs', 'svc'])
      expect(viaCli.stdout).toContain('svc: ping 172.30.0.1 ok')
      expect(envelope(await cli(['logs', 'svc', '--stream', 'launch', '--json']))).toMatchObject({ ok: true, value: { stream: 'launch', text: expect.stringContaining(' running: svc is up') } })
      expect((await cli(['logs', 'svc', '--stream', 'nope'])).stderrLines).toEqual(['bpvm: --stream: must be one of guest, stdout, stderr, launch'])
      const launchLog = await readFile(join(home, 'state', 'instances', 'svc', 'logs', 'launch.log'), 'utf8')
      for (const step of ['check', 'image', 'lease', 'disks', 'tap', 'bridge', 'vmm', 'rules', 'running']) expect(launchLog).toMatch(new RegExp(` ${step}: `))
      expect(await netns.run(ns, 'nft', ['list', 'table', 'inet', 'tangle_router'])).toContain('tap-tngl-1-masquerade')

      const down = await cli(['down', 'svc', '--json', '--timeout', '30'])
      expect(envelope(down)).toMatchObject({ ok: true, value: { name: 'svc', status: 'Finished', stopped: 'graceful' } })
      expect(await readFile(guestLog, 'utf8')).toContain('svc: SIGINT')
      // Following a stopped instance prints its whole log and returns.
      const followed = await cli(['logs', 'svc', '-f'])
      expect(followed.exitCode).toBe(0)
      expect(followed.stdout).toContain('svc: SIGINT')
      expect(await listRows(cli)).toMatchObject([{ name: 'svc', status: 'Finished' }])
      // Nothing left: no VMM, no TAP, no rules, no lease, no socket.
      await expectNothingLeft(ns, 'svc')
      // Tearing down twice is quiet.
      expect(envelope(await cli(['down', 'svc', '--json']))).toMatchObject({ ok: true, value: { name: 'svc', stopped: 'already' } })
    })

    it('rolls back every step when a launch fails, and reports the step', async () => {
      const { ns, work, cli } = await host()
      // A vsock daemon that hangs up on QEMU: QEMU fails once the lease, disks, TAP and bridge exist.
      const shims = join(work, 'hang-up-daemon')
      await mkdir(shims, { recursive: true })
      await writeFile(join(shims, 'vhost-device-vsock'), HANG_UP_DAEMON, { mode: 0o755 })
      const failed = await cli([...launchArgs(work, 'broken')], ['env', `PATH=${shims}:${process.env.PATH ?? ''}`])
      expect(failed.exitCode).toBe(1)
      expect(failed.stderrLines).toEqual([expect.stringMatching(/^bpvm: launch failed at step "vmm": qemu-system-x86_64 exited with code 1 .*vhost/i)])
      await expectNetworkClean(ns)
      const rows = await listRows(cli)
      expect(rows.filter((r) => r.name === 'broken')).toMatchObject([{ name: 'broken', status: 'Error', reason: expect.stringContaining('step "vmm"'), bridge: { running: false } }])
      await expect(readFile(join(home, 'data', 'instances', 'broken', 'service.img'))).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(readFile(join(home, 'data', 'instances', 'broken', 'data.qcow2'))).rejects.toMatchObject({ code: 'ENOENT' })
      const left = (await readdir(join(home, 'state', 'instances', 'broken'))).filter((f) => f.endsWith('.sock') || f.includes('.sock_'))
      expect(left).toEqual([])
      expect(await processesMentioning(join(home, 'state', 'instances', 'broken'))).toEqual([])

      // Memory the host does not have is refused before anything is made, naming the field.
      const tooBig = await cli([...launchArgs(work, 'too-big'), '--memory', '64T'])
      expect(tooBig.exitCode).toBe(1)
      expect(tooBig.stderr).toMatch(/memory: .*more than this host has/)
      expect((await listRows(cli)).map((r) => r.name)).not.toContain('too-big')
    })

    it('reports a VMM killed while running as Error, and cleans up after it', async () => {
      const { ns, work, cli } = await host()
      expect((await cli(launchArgs(work, 'crashy'))).exitCode).toBe(0)
      await waitForStatus(cli, 'crashy', 'Running', 90_000)
      const record = JSON.parse(await readFile(join(home, 'state', 'instances', 'crashy', 'instance.json'), 'utf8'))
      process.kill(record.process.pid, 'SIGKILL')
      const rows = await listRows(cli)
      expect(rows.find((r) => r.name === 'crashy')).toMatchObject({ status: 'Error', reason: 'the VMM exited while the service was running' })
      // Listing changed nothing; the next command that changes things gives the network back first.
      expect(await netns.run(ns, 'ip', ['-j', 'link', 'show'])).toContain('tap-tngl-')
      expect(envelope(await cli(['down', 'crashy', '--json']))).toMatchObject({ ok: true, value: { name: 'crashy', status: 'Error', stopped: 'already' } })
      await expectNetworkClean(ns)
    })

    // QEMU guests have a bridge to restart where vhost-device-vsock gives them vsock (CI installs it).
    it.skipIf(missingPrograms(['vhost-device-vsock']).length > 0)('starts a bridge that died while its VM runs again at the next command, keeping its state', async () => {
      const { work, cli } = await host()
      expect((await cli(launchArgs(work, 'bridged'))).exitCode).toBe(0)
      const recordFile = join(home, 'state', 'instances', 'bridged', 'instance.json')
      const before = JSON.parse(await readFile(recordFile, 'utf8'))
      expect(before.bridge).toMatchObject({ transport: 'vhost-user-vsock', process: { pid: expect.any(Number) }, vsockDaemon: { pid: expect.any(Number) } })
      const stateFile = join(home, 'state', 'instances', 'bridged', 'bridge-state.json')
      await writeFile(stateFile, JSON.stringify({ version: 1, pings: 3, ports: [], lastPingAt: '2026-01-01T00:00:00.000Z' }))
      process.kill(before.bridge.process.pid, 'SIGKILL')
      const reconciled = await cli(['reconcile'])
      expect(reconciled.stdout).toContain('started the dead bridges of bridged again')
      const after = JSON.parse(await readFile(recordFile, 'utf8'))
      expect(after.bridge.process.pid).not.toBe(before.bridge.process.pid)
      expect(await isProcessAlive(after.bridge.process)).toBe(true)
      const row = (await listRows(cli)).find((r) => r.name === 'bridged')
      expect(row).toMatchObject({ bridge: { running: true, pings: 3, lastPingAt: '2026-01-01T00:00:00.000Z' } })
      expect(await readFile(join(home, 'state', 'instances', 'bridged', 'logs', 'launch.log'), 'utf8')).toMatch(/reconcile: the bridge \(pid \d+\) had died while the VM runs; started again as pid \d+/)
      expect(envelope(await cli(['down', 'bridged', '--json']))).toMatchObject({ ok: true })
      expect(await isProcessAlive(after.bridge.process)).toBe(false)
      expect(await isProcessAlive(after.bridge.vsockDaemon)).toBe(false)
    })

    it('undoes a launch whose process was killed half-way, at the next command', async () => {
      const { ns, work, cli } = await host()
      const [node, args] = cliCommand(launchArgs(work, 'halfway'))
      const launching = execa('ip', ['netns', 'exec', ns, node, ...args], { env: { BPVM_HOME: home }, reject: false, cwd: process.cwd() })
      const launchLog = join(home, 'state', 'instances', 'halfway', 'logs', 'launch.log')
      const deadline = Date.now() + 60_000
      // Killed once QEMU is being started: the lease, disks, TAP and VMM are all in play.
      while (!(await readFile(launchLog, 'utf8').catch(() => '')).includes(' vmm: starting QEMU') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      launching.kill('SIGKILL')
      await launching
      const answer = JSON.parse((await cli(['reconcile', '--json'])).stdout) as { ok: boolean; error?: unknown }
      // A failed reconcile shows its error.
      expect(answer.error).toBeUndefined()
      expect(answer).toMatchObject({ ok: true, value: { interrupted: ['halfway'] } })
      await expectNetworkClean(ns)
      const rows = await listRows(cli)
      expect(rows.find((r) => r.name === 'halfway')).toMatchObject({ status: 'Error', reason: expect.stringContaining('interrupted') })
      const record = JSON.parse(await readFile(join(home, 'state', 'instances', 'halfway', 'instance.json'), 'utf8'))
      if (record.process) expect(await isProcessAlive(record.process)).toBe(false)
    })

    it('launches ten instances at once and tears them all down, leaving nothing behind', async () => {
      const { ns, work, cli } = await host()
      const names = Array.from({ length: 10 }, (_, i) => `para-${i}`)
      // Ten launches and ten TCG boots share two CPUs here: each launch gets the time ten take.
      const launches = await Promise.all(names.map((name) => cli([...launchArgs(work, name), '--memory', '128M'], [], 200_000)))
      for (const launched of launches) {
        expect(launched.stderrLines).toEqual([])
        expect(launched.exitCode).toBe(0)
      }
      const rows = envelope(await cli(['ls', '--json'])).value as Array<{ name: string; guestAddress: string; status: string }>
      const ours = rows.filter((r) => r.name.startsWith('para-'))
      expect(ours).toHaveLength(10)
      // Every instance got its own subnet.
      expect(new Set(ours.map((r) => r.guestAddress)).size).toBe(10)
      const nft = await netns.run(ns, 'nft', ['list', 'table', 'inet', 'tangle_router'])
      for (let id = 1; id <= 10; id++) expect(nft).toContain(`tap-tngl-${id}-masquerade`)
      const down = envelope(await cli(['down', '--all', '--force', '--json'])).value as Array<{ name: string }>
      expect(down.map((d) => d.name).filter((n) => n.startsWith('para-')).sort()).toEqual([...names].sort())
      await expectNetworkClean(ns)
      for (const name of names) {
        const record = JSON.parse(await readFile(join(home, 'state', 'instances', name, 'instance.json'), 'utf8'))
        expect(record.phase).toBe('stopped')
        expect(await isProcessAlive(record.process)).toBe(false)
      }
    }, 300_000)
  })
})

/** A stand-in vsock daemon that makes its socket and hangs up on whoever connects (QEMU then fails its vhost-user handshake). */
const HANG_UP_DAEMON = `#!/usr/bin/env node
if (process.argv.includes('--version')) { console.log('vhost-device-vsock 0.0.0 (hangs up)'); process.exit(0) }
const net = require('node:net')
const socket = process.argv[process.argv.indexOf('--socket') + 1]
net.createServer((c) => c.destroy()).listen(socket)
`

/** Pids of processes whose command line mentions \`text\`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(text)) pids.push(Number(entry))
  }
  return pids
}
