import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { createTap, listLinks } from '../../src/main/runtime/net/ipCommand'
import { LeaseStore } from '../../src/main/runtime/net/leaseStore'
import { cleanupOrphans } from '../../src/main/runtime/net/netInventory'
import { ownerTag } from '../../src/main/runtime/net/ownerTag'
import { addVmRules, listVmRules } from '../../src/main/runtime/net/vmNetRules'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'
import { DEAD_PROCESS, recordFixture } from '../support/recordFixture'

describeAsRoot('bpvm net (run inside a test namespace)', () => {
  describeWithPrograms(['ip', 'nft', 'sysctl'], 'CLI', () => {
    const netns = useNetns()
    const tempDir = useTempDirs()

    /**
     * A namespace with an uplink, one leased VM (id 1), the leftovers of a crashed one (tap-tngl-5,
     * tagged by this home), a VM of another bpvm home on the same host (tap-tngl-7, tagged by that
     * home), and a look-alike nobody tagged (tap-tngl-9: named like ours, with rules like ours).
     */
    async function hostWithOrphan(): Promise<{ ns: string; home: string }> {
      const ns = await netns.create()
      const upstream = await netns.create()
      await netns.veth(ns, 'uplink0', upstream, 'down0')
      const home = await tempDir()
      const ctx = { netns: ns }
      const ours = ownerTag(join(home, 'state'))
      const lease = await new LeaseStore({ stateDir: join(home, 'state'), net: ctx }).allocate('vm-a')
      expect(lease.tap).toBe('tap-tngl-1')
      await createTap(ctx, { name: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix, alias: ours })
      await addVmRules(ctx, { tap: lease.tap, egress: 'uplink0', subnet: lease.subnet })
      await createTap(ctx, { name: 'tap-tngl-5', hostAddress: '172.30.9.1', prefix: 30, alias: ours })
      await addVmRules(ctx, { tap: 'tap-tngl-5', egress: 'uplink0', subnet: '172.30.9.0/30' })
      await createTap(ctx, { name: 'tap-tngl-7', hostAddress: '172.30.11.1', prefix: 30, alias: ownerTag('/elsewhere/state') })
      await addVmRules(ctx, { tap: 'tap-tngl-7', egress: 'uplink0', subnet: '172.30.11.0/30' })
      await createTap(ctx, { name: 'tap-tngl-9', hostAddress: '172.30.13.1', prefix: 30 })
      await addVmRules(ctx, { tap: 'tap-tngl-9', egress: 'uplink0', subnet: '172.30.13.0/30' })
      return { ns, home }
    }

    /** Everything on the host and in the home that a command could change. */
    async function snapshot(ns: string, home: string): Promise<unknown> {
      const ctx = { netns: ns }
      const files = execFileSync('find', [home, '-type', 'f', '-printf', '%P %s %T@\\n'], { encoding: 'utf8' }).split('\n').sort()
      return { links: await listLinks(ctx), rules: await listVmRules(ctx), files }
    }

    const inNs = (ns: string) => ({ prefix: ['ip', 'netns', 'exec', ns], env: {} })

    it('net ls marks what a lease holds live, what this home tagged and nothing holds orphan, another home\'s other, and look-alikes unknown', async () => {
      const { ns, home } = await hostWithOrphan()
      const run = await runCli(['net', 'ls', '--json'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(run.exitCode).toBe(0)
      const inventory = envelope(run).value as {
        leases: Array<{ owner: string; tap: string; state: string; tapPresent: boolean; rules: number }>
        taps: Array<{ name: string; state: string }>
        rules: Array<{ tap: string; state: string }>
      }
      expect(inventory.leases).toMatchObject([{ owner: 'vm-a', tap: 'tap-tngl-1', state: 'live', tapPresent: true, rules: 3 }])
      expect(inventory.taps).toEqual([
        { name: 'tap-tngl-1', up: true, state: 'live' },
        { name: 'tap-tngl-5', up: true, state: 'orphan' },
        { name: 'tap-tngl-7', up: true, state: 'other' },
        { name: 'tap-tngl-9', up: true, state: 'unknown' }
      ])
      const rulesOf = (tap: string) => inventory.rules.filter((r) => r.tap === tap).map((r) => r.state)
      expect(rulesOf('tap-tngl-1')).toEqual(['live', 'live', 'live'])
      expect(rulesOf('tap-tngl-5')).toEqual(['orphan', 'orphan', 'orphan'])
      expect(rulesOf('tap-tngl-7')).toEqual(['other', 'other', 'other'])
      expect(rulesOf('tap-tngl-9')).toEqual(['unknown', 'unknown', 'unknown'])
      const human = await runCli(['net', 'ls'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(human.stdout).toContain('orphan   tap-tngl-5 (up)')
      expect(human.stdout).toContain('unknown  tap-tngl-9 (up)')
      expect(human.stdout).toContain('4 orphans: `bpvm net cleanup` removes them.')
      expect(human.stdout).toContain('4 look-alikes (state unknown)')
    })

    it('net cleanup removes exactly what net ls called orphan: not another home\'s VM, not a look-alike', async () => {
      const { ns, home } = await hostWithOrphan()
      const listed = envelope(await runCli(['net', 'ls', '--json'], { ...inNs(ns), env: { BPVM_HOME: home } })).value as { taps: Array<{ name: string; state: string }> }
      const run = await runCli(['net', 'cleanup'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(run.exitCode).toBe(0)
      expect(run.stdout.trim()).toBe('Cleaned up: removed the nftables rules of tap-tngl-5; deleted TAP tap-tngl-5.')
      const ctx = { netns: ns }
      const left = (await listLinks(ctx)).map((l) => l.ifname)
      expect(listed.taps.filter((t) => !left.includes(t.name)).map((t) => t.name)).toEqual(listed.taps.filter((t) => t.state === 'orphan').map((t) => t.name))
      expect(left).toEqual(expect.arrayContaining(['tap-tngl-1', 'tap-tngl-7', 'tap-tngl-9']))
      expect((await listVmRules(ctx)).map((r) => r.tap).sort()).toEqual(['tap-tngl-1', 'tap-tngl-1', 'tap-tngl-1', 'tap-tngl-7', 'tap-tngl-7', 'tap-tngl-7', 'tap-tngl-9', 'tap-tngl-9', 'tap-tngl-9'])
      const again = await runCli(['net', 'cleanup', '--json'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(envelope(again)).toEqual({ ok: true, value: { removedTaps: [], removedRulesOf: [] } })
    })

    it("cleanup looks at the leases again before each removal: a launch that leased its TAP after the inventory keeps it", async () => {
      const { ns, home } = await hostWithOrphan()
      const ctx = { netns: ns }
      const ours = ownerTag(join(home, 'state'))
      const leased = { id: 1, tap: 'tap-tngl-1', owner: 'vm-a', subnet: '172.30.0.0/30' }
      const late = { id: 5, tap: 'tap-tngl-5', owner: 'vm-late', subnet: '172.30.9.0/30' }
      let reads = 0
      // The first read (the inventory) predates the launch of vm-late; every later one sees its lease.
      const report = await cleanupOrphans(ctx, async () => (++reads === 1 ? [leased] : [leased, late]), ours)
      expect(report).toEqual({ removedTaps: [], removedRulesOf: [] })
      expect((await listLinks(ctx)).map((l) => l.ifname)).toContain('tap-tngl-5')
      expect((await listVmRules(ctx)).filter((r) => r.tap === 'tap-tngl-5')).toHaveLength(3)
      // Without the late lease, the same leftovers go.
      expect(await cleanupOrphans(ctx, async () => [leased], ours)).toEqual({ removedTaps: ['tap-tngl-5'], removedRulesOf: ['tap-tngl-5'] })
    })

    it('bpvm ls changes nothing, even with a dead VM and orphans about; a wrong launch is refused before anything changes; the next change gives back only what this home provably made', async () => {
      const { ns, home } = await hostWithOrphan()
      const ctx = { netns: ns }
      // An instance whose VMM died while nothing watched: its lease, TAP (tagged) and rules are still there.
      const lease = await new LeaseStore({ stateDir: join(home, 'state'), net: ctx }).allocate('crashed')
      await createTap(ctx, { name: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix, alias: ownerTag(join(home, 'state')) })
      await addVmRules(ctx, { tap: lease.tap, egress: 'uplink0', subnet: lease.subnet })
      const record = recordFixture('crashed', lease.id, { process: DEAD_PROCESS, net: { id: lease.id, tap: lease.tap, subnet: lease.subnet, hostAddress: lease.hostAddress, guestAddress: lease.guestAddress, prefix: 30, egress: 'uplink0' } })
      await mkdir(join(home, 'state', 'instances', 'crashed'), { recursive: true })
      await writeFile(join(home, 'state', 'instances', 'crashed', 'instance.json'), JSON.stringify(record))

      const before = await snapshot(ns, home)
      const listed = await runCli(['ls', '--json'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(envelope(listed)).toMatchObject({ ok: true, value: [{ name: 'crashed', status: 'Error' }] })
      expect(await snapshot(ns, home)).toEqual(before)

      // A launch whose input is wrong is refused before it reconciles (or makes) anything.
      const work = await tempDir()
      await writeFile(join(work, 'svc'), '#!/bin/sh\n', { mode: 0o755 })
      await mkdir(join(work, 'keystore'))
      const launch = (...extra: string[]) =>
        runCli(['launch', '--name', 'fresh', '--binary', join(work, 'svc'), '--keystore', join(work, 'keystore'), '--http-rpc-url', 'http://127.0.0.1:9', '--ws-rpc-url', 'ws://127.0.0.1:9', '--blueprint-id', '1', '--service-id', '2', '--detach', '--json', ...extra], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(envelope(await launch('--memory', '64T'))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('more than this host has') } })
      expect(envelope(await launch('--cpus', 'two'))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: '--cpus' } } })
      expect(await snapshot(ns, home)).toEqual(before)
      // One that fails its checks after reconciling (nothing answers at the RPC URL) leaves no directory of its own.
      expect(envelope(await launch())).toMatchObject({ ok: false, error: { code: 'RPC_UNREACHABLE' } })
      expect(existsSync(join(home, 'state', 'instances', 'fresh'))).toBe(false)
      expect(existsSync(join(home, 'data', 'instances', 'fresh'))).toBe(false)

      // That last launch reconciled first: the dead instance's network and the lease nobody holds went back.
      expect(JSON.parse(await readFile(join(home, 'state', 'instances', 'crashed', 'instance.json'), 'utf8'))).toMatchObject({ phase: 'stopped', outcome: { status: 'Error' } })
      const left = (await listLinks(ctx)).map((l) => l.ifname).filter((name) => name.startsWith('tap-tngl-')).sort()
      // Gone: the dead instance's (its record says so), vm-a's (its lease, with no instance, says so), the tagged orphan.
      expect(left).toEqual(['tap-tngl-7', 'tap-tngl-9'])
      expect([...new Set((await listVmRules(ctx)).map((r) => r.tap))].sort()).toEqual(['tap-tngl-7', 'tap-tngl-9'])
    })

    it('net forwarding reports the setting and turns it on only with --enable', async () => {
      const ns = await netns.create()
      await netns.run(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0'])
      const status = await runCli(['net', 'forwarding'], inNs(ns))
      expect(status.stdout.trim()).toBe('IPv4 forwarding is off.')
      expect(await netns.run(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).toBe('0')
      const enabled = await runCli(['net', 'forwarding', '--enable', '--json'], inNs(ns))
      expect(envelope(enabled)).toEqual({ ok: true, value: { enabled: true, changed: true } })
      expect(await netns.run(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).toBe('1')
    })
  })
})
