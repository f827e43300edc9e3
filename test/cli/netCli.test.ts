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

describeAsRoot('bpvm net (run inside a test namespace)', () => {
  describeWithPrograms(['ip', 'nft', 'sysctl'], 'CLI', () => {
    const netns = useNetns()
    const tempDir = useTempDirs()

    /**
     * A namespace with an uplink, one leased VM (id 1), the leftovers of a crashed one (tap-tngl-5),
     * and a VM of another bpvm home on the same host (tap-tngl-7, tagged by that home).
     */
    async function hostWithOrphan(): Promise<{ ns: string; home: string }> {
      const ns = await netns.create()
      const upstream = await netns.create()
      await netns.veth(ns, 'uplink0', upstream, 'down0')
      const home = await tempDir()
      const ctx = { netns: ns }
      const lease = await new LeaseStore({ stateDir: join(home, 'state'), net: ctx }).allocate('vm-a')
      expect(lease.tap).toBe('tap-tngl-1')
      await createTap(ctx, { name: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix })
      await addVmRules(ctx, { tap: lease.tap, egress: 'uplink0', subnet: lease.subnet })
      await createTap(ctx, { name: 'tap-tngl-5', hostAddress: '172.30.9.1', prefix: 30 })
      await addVmRules(ctx, { tap: 'tap-tngl-5', egress: 'uplink0', subnet: '172.30.9.0/30' })
      await createTap(ctx, { name: 'tap-tngl-7', hostAddress: '172.30.11.1', prefix: 30, alias: ownerTag('/elsewhere/state') })
      await addVmRules(ctx, { tap: 'tap-tngl-7', egress: 'uplink0', subnet: '172.30.11.0/30' })
      return { ns, home }
    }

    const inNs = (ns: string) => ({ prefix: ['ip', 'netns', 'exec', ns], env: {} })

    it('net ls marks what a lease holds live, what another home tagged other, and the rest orphan', async () => {
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
        { name: 'tap-tngl-7', up: true, state: 'other' }
      ])
      expect(inventory.rules.filter((r) => r.tap === 'tap-tngl-1').every((r) => r.state === 'live')).toBe(true)
      expect(inventory.rules.filter((r) => r.tap === 'tap-tngl-5').map((r) => r.state)).toEqual(['orphan', 'orphan', 'orphan'])
      expect(inventory.rules.filter((r) => r.tap === 'tap-tngl-7').map((r) => r.state)).toEqual(['other', 'other', 'other'])
      const human = await runCli(['net', 'ls'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(human.stdout).toContain('orphan  tap-tngl-5 (up)')
      expect(human.stdout).toContain('4 orphans: `bpvm net cleanup` removes them.')
    })

    it('net cleanup removes orphans only (not another home\'s VM), and says what it removed', async () => {
      const { ns, home } = await hostWithOrphan()
      const run = await runCli(['net', 'cleanup'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(run.exitCode).toBe(0)
      expect(run.stdout.trim()).toBe('Cleaned up: removed the nftables rules of tap-tngl-5; deleted TAP tap-tngl-5.')
      const ctx = { netns: ns }
      expect((await listLinks(ctx)).map((l) => l.ifname)).toEqual(expect.arrayContaining(['tap-tngl-1', 'tap-tngl-7']))
      expect((await listLinks(ctx)).map((l) => l.ifname)).not.toContain('tap-tngl-5')
      expect((await listVmRules(ctx)).map((r) => r.tap).sort()).toEqual(['tap-tngl-1', 'tap-tngl-1', 'tap-tngl-1', 'tap-tngl-7', 'tap-tngl-7', 'tap-tngl-7'])
      const again = await runCli(['net', 'cleanup', '--json'], { ...inNs(ns), env: { BPVM_HOME: home } })
      expect(envelope(again)).toEqual({ ok: true, value: { removedTaps: [], removedRulesOf: [] } })
    })

    it("cleanup looks at the leases again before each removal: a launch that leased its TAP after the inventory keeps it", async () => {
      const { ns } = await hostWithOrphan()
      const ctx = { netns: ns }
      const leased = { id: 1, tap: 'tap-tngl-1', owner: 'vm-a', subnet: '172.30.0.0/30' }
      const late = { id: 5, tap: 'tap-tngl-5', owner: 'vm-late', subnet: '172.30.9.0/30' }
      let reads = 0
      // The first read (the inventory) predates the launch of vm-late; every later one sees its lease.
      const report = await cleanupOrphans(ctx, async () => (++reads === 1 ? [leased] : [leased, late]))
      expect(report).toEqual({ removedTaps: [], removedRulesOf: [] })
      expect((await listLinks(ctx)).map((l) => l.ifname)).toContain('tap-tngl-5')
      expect((await listVmRules(ctx)).filter((r) => r.tap === 'tap-tngl-5')).toHaveLength(3)
      // Without the late lease, the same leftovers go.
      expect(await cleanupOrphans(ctx, async () => [leased])).toEqual({ removedTaps: ['tap-tngl-5'], removedRulesOf: ['tap-tngl-5'] })
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
