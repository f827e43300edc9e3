import { expect, it } from 'vitest'
import { addVmRules, listVmRules, removeAllVmRules, removeVmRules } from '../../src/main/runtime/net/vmNetRules'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'

type Obj = Record<string, unknown>

/** Tables, chains and rules of a namespace's whole ruleset, as nft prints them, without handles. */
async function ruleset(run: (ns: string, program: string, args: string[]) => Promise<string>, ns: string) {
  const entries = (JSON.parse(await run(ns, 'nft', ['-j', 'list', 'ruleset'])) as { nftables: Obj[] }).nftables
  const withoutHandle = ({ handle: _handle, ...rest }: Obj): Obj => rest
  const of = (kind: string): Obj[] => entries.filter((e) => kind in e).map((e) => withoutHandle(e[kind] as Obj))
  const handles = entries.filter((e) => 'rule' in e).map((e) => (e.rule as Obj).handle as number)
  return { tables: of('table'), chains: of('chain'), rules: of('rule'), handles }
}

const T = { family: 'inet', table: 'tangle_router' }
const meta = (key: string, right: string) => ({ match: { op: '==', left: { meta: { key } }, right } })
const saddr = (addr: string, len: number) => ({ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr, len } } } })

/** The three rules of one VM, written out the way `nft -j` prints them. */
function expectedRules(tap: string, egress: string, addr: string, len: number): Obj[] {
  return [
    {
      ...T,
      chain: 'TANGLE_FORWARD',
      comment: `Allow established traffic to Blueprint VM; ${tap}-established`,
      expr: [meta('iifname', egress), meta('oifname', tap), { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }, { accept: null }]
    },
    {
      ...T,
      chain: 'TANGLE_FORWARD',
      comment: `Allow new traffic from Blueprint VM; ${tap}-new`,
      expr: [meta('iifname', tap), meta('oifname', egress), saddr(addr, len), { accept: null }]
    },
    { ...T, chain: 'TANGLE_NAT', comment: `NAT traffic from Blueprint VM; ${tap}-masquerade`, expr: [meta('oifname', egress), saddr(addr, len), { masquerade: null }] }
  ]
}

const byComment = (a: Obj, b: Obj): number => String(a.comment).localeCompare(String(b.comment))
const sorted = (rules: Obj[]): Obj[] => [...rules].sort(byComment)

describeAsRoot('VM nftables rules', () => {
  describeWithPrograms(['nft', 'ip'], 'VM nftables rules in a network namespace', () => {
    const netns = useNetns()

    it('adds exactly the table, both chains and three rules on the VM subnet, and removal leaves nothing', async () => {
      const ns = await netns.create()
      await addVmRules({ netns: ns }, { tap: 'tap-tngl-1', egress: 'up0', subnet: '172.30.0.4/30' })

      const after = await ruleset(netns.run, ns)
      expect(after.tables).toEqual([{ family: 'inet', name: 'tangle_router' }])
      expect(after.chains).toEqual([
        { ...T, name: 'TANGLE_FORWARD', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' },
        { ...T, name: 'TANGLE_NAT', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' }
      ])
      expect(sorted(after.rules)).toEqual(sorted(expectedRules('tap-tngl-1', 'up0', '172.30.0.4', 30)))

      const listed = await listVmRules({ netns: ns })
      expect(listed.map((r) => ({ ...r, handle: 0 }))).toEqual(
        expect.arrayContaining([
          { tap: 'tap-tngl-1', kind: 'established', chain: 'TANGLE_FORWARD', handle: 0, egress: 'up0' },
          { tap: 'tap-tngl-1', kind: 'new', chain: 'TANGLE_FORWARD', handle: 0, egress: 'up0', subnet: '172.30.0.4/30' },
          { tap: 'tap-tngl-1', kind: 'masquerade', chain: 'TANGLE_NAT', handle: 0, egress: 'up0', subnet: '172.30.0.4/30' }
        ])
      )
      expect(listed.map((r) => r.handle).sort()).toEqual([...after.handles].sort())

      await removeVmRules({ netns: ns }, 'tap-tngl-1')
      const gone = await ruleset(netns.run, ns)
      expect(gone).toEqual({ tables: [], chains: [], rules: [], handles: [] })
      expect(await listVmRules({ netns: ns })).toEqual([])
    })

    it('removing VM 1 leaves the rules of VM 11 untouched', async () => {
      const ns = await netns.create()
      await addVmRules({ netns: ns }, { tap: 'tap-tngl-1', egress: 'up0', subnet: '172.30.0.4/30' })
      await addVmRules({ netns: ns }, { tap: 'tap-tngl-11', egress: 'up0', subnet: '172.30.0.44/30' })
      const handlesOf11 = (await listVmRules({ netns: ns })).filter((r) => r.tap === 'tap-tngl-11').map((r) => r.handle)
      expect(handlesOf11).toHaveLength(3)

      await removeVmRules({ netns: ns }, 'tap-tngl-1')
      const left = await ruleset(netns.run, ns)
      expect(sorted(left.rules)).toEqual(sorted(expectedRules('tap-tngl-11', 'up0', '172.30.0.44', 30)))
      expect([...left.handles].sort()).toEqual([...handlesOf11].sort())

      await removeVmRules({ netns: ns }, 'tap-tngl-11')
      expect((await ruleset(netns.run, ns)).tables).toEqual([])
    })

    it('adding twice keeps one set; adding with another egress and subnet replaces it', async () => {
      const ns = await netns.create()
      const ctx = { netns: ns }
      await addVmRules(ctx, { tap: 'tap-tngl-3', egress: 'up0', subnet: '172.30.0.12/30' })
      const first = await ruleset(netns.run, ns)
      await addVmRules(ctx, { tap: 'tap-tngl-3', egress: 'up0', subnet: '172.30.0.12/30' })
      const second = await ruleset(netns.run, ns)
      expect(sorted(second.rules)).toEqual(sorted(expectedRules('tap-tngl-3', 'up0', '172.30.0.12', 30)))
      expect(second.handles).toEqual(first.handles)
      expect(second.chains).toHaveLength(2)

      await addVmRules(ctx, { tap: 'tap-tngl-3', egress: 'wan1', subnet: '172.30.0.16/30' })
      const replaced = await ruleset(netns.run, ns)
      expect(sorted(replaced.rules)).toEqual(sorted(expectedRules('tap-tngl-3', 'wan1', '172.30.0.16', 30)))
      expect(replaced.chains).toHaveLength(2)
    })

    it("a VM given host loopback ports: two more chains and the DNAT and guard rules; other ports replace them; removal leaves nothing", async () => {
      const ns = await netns.create()
      const ctx = { netns: ns }
      const tap = 'tap-tngl-5'
      await netns.run(ns, 'ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap'])
      const payload = (protocol: string, field: string, right: unknown) => ({ match: { op: '==', left: { payload: { protocol, field } }, right } })
      const loopbackRules = (ports: unknown): Obj[] => [
        {
          ...T, chain: 'TANGLE_LOOPBACK', comment: `Forward host loopback ports to Blueprint VM; ${tap}-loopback`,
          expr: [meta('iifname', tap), payload('ip', 'saddr', '172.30.0.22'), payload('ip', 'daddr', '172.30.0.21'), payload('tcp', 'dport', ports), { dnat: { family: 'ip', addr: '127.0.0.1' } }]
        },
        { ...T, chain: 'TANGLE_GUARD', comment: `Drop loopback-addressed traffic from Blueprint VM; ${tap}-guard`, expr: [meta('iifname', tap), payload('ip', 'daddr', { prefix: { addr: '127.0.0.0', len: 8 } }), { drop: null }] }
      ]
      const input = (ports: number[]) => ({ tap, egress: 'up0', subnet: '172.30.0.20/30', loopback: { hostAddress: '172.30.0.21', guestAddress: '172.30.0.22', ports } })

      await addVmRules(ctx, input([9944, 8545, 9944]))
      const first = await ruleset(netns.run, ns)
      expect(first.chains).toEqual(expect.arrayContaining([
        { ...T, name: 'TANGLE_LOOPBACK', type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' },
        { ...T, name: 'TANGLE_GUARD', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' }
      ]))
      expect(sorted(first.rules)).toEqual(sorted([...expectedRules(tap, 'up0', '172.30.0.20', 30), ...loopbackRules({ set: [8545, 9944] })]))
      // Asking again for the same ports, in another order, changes nothing.
      await addVmRules(ctx, input([8545, 9944]))
      expect((await ruleset(netns.run, ns)).handles).toEqual(first.handles)

      await addVmRules(ctx, input([9944]))
      expect(sorted((await ruleset(netns.run, ns)).rules)).toEqual(sorted([...expectedRules(tap, 'up0', '172.30.0.20', 30), ...loopbackRules(9944)]))
      expect(await netns.run(ns, 'cat', [`/proc/sys/net/ipv4/conf/${tap}/route_localnet`])).toBe('1')

      await removeVmRules(ctx, tap)
      expect(await ruleset(netns.run, ns)).toEqual({ tables: [], chains: [], rules: [], handles: [] })
      await expect(addVmRules(ctx, input([0]))).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'loopback.ports' } })
    })

    it('keeps foreign rules, including look-alike comments, until a full cleanup', async () => {
      const ns = await netns.create()
      const ctx = { netns: ns }
      await addVmRules(ctx, { tap: 'tap-tngl-1', egress: 'up0', subnet: '172.30.0.4/30' })
      await netns.run(ns, 'nft', ['add', 'rule', 'inet', 'tangle_router', 'TANGLE_FORWARD', 'iifname', 'up0', 'drop', 'comment', '"operator rule"'])
      await netns.run(ns, 'nft', ['add', 'rule', 'inet', 'tangle_router', 'TANGLE_NAT', 'oifname', 'up0', 'masquerade', 'comment', '"NAT traffic from Blueprint VM; tap-tngl-1-masquerade-extra"'])

      const listed = await listVmRules(ctx)
      expect(listed.filter((r) => r.kind === 'foreign').map((r) => r.comment).sort()).toEqual(['NAT traffic from Blueprint VM; tap-tngl-1-masquerade-extra', 'operator rule'])
      expect(listed.filter((r) => r.kind === 'foreign').every((r) => r.tap === '')).toBe(true)

      await removeVmRules(ctx, 'tap-tngl-1')
      const left = await ruleset(netns.run, ns)
      expect(left.rules.map((r) => r.comment).sort()).toEqual(['NAT traffic from Blueprint VM; tap-tngl-1-masquerade-extra', 'operator rule'])

      await removeAllVmRules(ctx)
      expect((await ruleset(netns.run, ns)).tables).toEqual([])
    })

    it('removing what is not there succeeds quietly', async () => {
      const ns = await netns.create()
      const ctx = { netns: ns }
      expect(await listVmRules(ctx)).toEqual([])
      await removeVmRules(ctx, 'tap-tngl-5')
      await removeAllVmRules(ctx)
      await addVmRules(ctx, { tap: 'tap-tngl-6', egress: 'up0', subnet: '172.30.0.24/30' })
      await removeVmRules(ctx, 'tap-tngl-5')
      expect(await listVmRules(ctx)).toHaveLength(3)
      await removeAllVmRules(ctx)
      await removeAllVmRules(ctx)
      expect((await ruleset(netns.run, ns)).tables).toEqual([])
    })

    const good = { tap: 'tap-tngl-2', egress: 'up0', subnet: '172.30.0.8/30' }
    const bad: Array<[string, Partial<typeof good>]> = [
      ['tap', { tap: 'eth0' }],
      ['tap', { tap: 'tap-tngl-01' }],
      ['tap', { tap: 'tap-tngl-1234567' }],
      ['tap', { tap: 'tap-tngl-1; flush ruleset' }],
      ['subnet', { subnet: '172.30.0.5/30' }],
      ['subnet', { subnet: '172.30.0.4' }],
      ['subnet', { subnet: '172.30/16' }],
      ['subnet', { subnet: '172.30.0.4/31' }],
      ['subnet', { subnet: '0.0.0.0/0' }],
      ['subnet', { subnet: 'fd00::/64' }],
      ['egress', { egress: '' }],
      ['egress', { egress: 'a-very-long-name' }],
      ['egress', { egress: 'eth 0' }],
      ['egress', { egress: 'eth/0' }],
      ['egress', { egress: 'eth\0' }],
      ['egress', { egress: 'eth*' }]
    ]
    it.each(bad)('rejects a bad %s before changing anything: %o', async (field, change) => {
      const ns = await netns.create()
      const error = await addVmRules({ netns: ns }, { ...good, ...change }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'INVALID_INPUT', details: { field } })
      expect((error as Error).message.startsWith(`${field}: `)).toBe(true)
      expect((await ruleset(netns.run, ns)).tables).toEqual([])
    })

    it('rejects a bad tap name on removal, naming the field', async () => {
      const ns = await netns.create()
      await expect(removeVmRules({ netns: ns }, 'tap-tngl-')).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'tap' } })
    })
  })
})
