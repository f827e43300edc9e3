import { expect, it } from 'vitest'
import { enableIpForwarding, ipForwardingEnabled, requireIpForwarding, resolveEgress } from '../../src/main/runtime/net/hostNetwork'
import { createTap, deleteLink, listAddresses, listLinks, occupiedCidrs, waitForLink } from '../../src/main/runtime/net/ipCommand'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'

describeAsRoot('ip: TAP devices, addresses, routes (inside a test namespace)', () => {
  describeWithPrograms(['ip', 'sysctl'], 'ipCommand', () => {
    const netns = useNetns()

    it('creates a TAP with its host-side address, up, and deletes it', async () => {
      const ctx = { netns: await netns.create() }
      await createTap(ctx, { name: 'tap-tngl-7', hostAddress: '172.30.0.29', prefix: 30 })
      const link = (await listLinks(ctx)).find((l) => l.ifname === 'tap-tngl-7')
      expect(link).toEqual({ ifname: 'tap-tngl-7', up: true, kind: 'tun' })
      expect(await listAddresses(ctx)).toContainEqual({ ifname: 'tap-tngl-7', cidr: '172.30.0.29/30' })
      await expect(createTap(ctx, { name: 'tap-tngl-7', hostAddress: '172.30.0.33', prefix: 30 })).rejects.toMatchObject({ code: 'LINK_EXISTS' })
      expect(await deleteLink(ctx, 'tap-tngl-7')).toBe(true)
      expect((await listLinks(ctx)).map((l) => l.ifname)).not.toContain('tap-tngl-7')
      expect(await deleteLink(ctx, 'tap-tngl-7')).toBe(false)
    })

    it('removes a half-made TAP when its address is refused', async () => {
      const ctx = { netns: await netns.create() }
      await expect(createTap(ctx, { name: 'tap-tngl-8', hostAddress: '300.1.1.1', prefix: 30 })).rejects.toMatchObject({ code: 'IP_FAILED' })
      expect((await listLinks(ctx)).map((l) => l.ifname)).not.toContain('tap-tngl-8')
    })

    it('waits for a TAP that appears later, and times out clearly for one that never does', async () => {
      const ctx = { netns: await netns.create() }
      const appearing = waitForLink(ctx, 'tap-tngl-9', { timeoutMs: 5000, intervalMs: 50 })
      setTimeout(() => void createTap(ctx, { name: 'tap-tngl-9', hostAddress: '172.30.0.37', prefix: 30 }), 200)
      await expect(appearing).resolves.toBeUndefined()
      await expect(waitForLink(ctx, 'tap-tngl-10', { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(/^network interface tap-tngl-10 did not appear within 0\.3 s$/)
    })

    it('lists every address and route as occupied networks', async () => {
      const ctx = { netns: await netns.create() }
      await createTap(ctx, { name: 'tap-tngl-1', hostAddress: '172.30.0.1', prefix: 30 })
      await netns.run(ctx.netns, 'ip', ['route', 'add', '10.99.0.0/16', 'dev', 'tap-tngl-1'])
      const occupied = await occupiedCidrs(ctx)
      expect(occupied).toEqual(expect.arrayContaining(['172.30.0.1/30', '10.99.0.0/16', '127.0.0.1/8']))
      expect(occupied).not.toContain('default')
    })

    it('finds the egress interface from the default route, and checks a configured one', async () => {
      const host = await netns.create()
      const upstream = await netns.create()
      const ctx = { netns: host }
      await expect(resolveEgress(ctx)).rejects.toMatchObject({ code: 'EGRESS_NOT_FOUND' })
      await netns.veth(host, 'uplink0', upstream, 'down0')
      await netns.run(host, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'uplink0'])
      await netns.run(host, 'ip', ['route', 'add', 'default', 'via', '192.0.2.254'])
      expect(await resolveEgress(ctx)).toBe('uplink0')
      expect(await resolveEgress(ctx, 'uplink0')).toBe('uplink0')
      await expect(resolveEgress(ctx, 'eth9')).rejects.toThrow(/^egress interface: eth9 does not exist on this host \(interfaces: uplink0\)$/)
    })

    it('reads IPv4 forwarding and enables it only when asked', async () => {
      const ctx = { netns: await netns.create() }
      await netns.run(ctx.netns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0'])
      expect(await ipForwardingEnabled(ctx)).toBe(false)
      await expect(requireIpForwarding(ctx)).rejects.toThrow(/net\.ipv4\.ip_forward is 0.*bpvm net forwarding --enable/)
      await enableIpForwarding(ctx)
      expect(await ipForwardingEnabled(ctx)).toBe(true)
      await expect(requireIpForwarding(ctx)).resolves.toBeUndefined()
    })
  })
})
