import { expect, it } from 'vitest'
import { addVmRules, listVmRules, removeVmRules } from '../../src/main/runtime/net/vmNetRules'
import { lineLog, useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'

// Every address lives only inside the test's own namespaces.
const SUBNET = '172.30.0.8/30'
const TAP_ADDRESS = '172.30.0.9'
const GUEST_ADDRESS = '172.30.0.10'
const NODE_PORT = 19944
const OTHER_PORT = 19945
const WAIT_MS = 10_000

// An HTTP server on the host's 127.0.0.1:<port> answering `<name>`; prints "ready" once bound.
const LOOPBACK_SERVER = `
const [port, name] = process.argv.slice(1)
require('node:http').createServer((req, res) => res.end(name)).listen(Number(port), '127.0.0.1', () => console.log('ready'))
`

// Fetches a URL; prints the body, or "failed <reason>" (a refusal, or a timeout when dropped).
const FETCH = `
fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => r.text()).then(
  (t) => console.log(t),
  (e) => console.log('failed ' + (e.cause?.code ?? e.name))
)
`

describeAsRoot('a guest reaching the host loopback ports it is given (nftables DNAT, route_localnet on its TAP)', () => {
  describeWithPrograms(['nft', 'ip', 'sysctl'], 'guest ↔ host namespaces', () => {
    const netns = useNetns()
    const ip = (ns: string, ...args: string[]) => netns.run(ns, 'ip', args)

    /** A host namespace whose `tap` (a veth standing in for the TAP) leads to a guest namespace with its address and route. */
    async function guestBehind(tap: string): Promise<{ guest: string; host: string }> {
      const [guest, host] = [await netns.create(), await netns.create()]
      await netns.veth(host, tap, guest, 'eth0')
      await ip(host, 'addr', 'add', `${TAP_ADDRESS}/30`, 'dev', tap)
      await ip(guest, 'addr', 'add', `${GUEST_ADDRESS}/30`, 'dev', 'eth0')
      await ip(guest, 'route', 'add', 'default', 'via', TAP_ADDRESS, 'dev', 'eth0')
      return { guest, host }
    }

    it('reaches exactly the given ports of 127.0.0.1 at its gateway, nothing else there, and never 127.0.0.0/8 itself', async () => {
      const tap = 'tap-tngl-43'
      const { guest, host } = await guestBehind(tap)
      for (const [port, name] of [[NODE_PORT, 'the node'], [OTHER_PORT, 'another local service']] as const) {
        const server = lineLog(netns.spawn(host, process.execPath, ['-e', LOOPBACK_SERVER, String(port), name]))
        await server.waitFor((line) => line === 'ready', WAIT_MS)
      }
      const fetchFromGuest = (url: string): Promise<string> => netns.run(guest, process.execPath, ['-e', FETCH, url])

      // A node on the host's loopback is out of the guest's reach by itself.
      expect(await fetchFromGuest(`http://${TAP_ADDRESS}:${NODE_PORT}/`)).toBe('failed ECONNREFUSED')

      const loopback = { hostAddress: TAP_ADDRESS, guestAddress: GUEST_ADDRESS, ports: [NODE_PORT] }
      await addVmRules({ netns: host }, { tap, egress: 'lo', subnet: SUBNET, loopback })
      expect(await netns.run(host, 'cat', [`/proc/sys/net/ipv4/conf/${tap}/route_localnet`])).toBe('1')
      expect(await fetchFromGuest(`http://${TAP_ADDRESS}:${NODE_PORT}/`)).toBe('the node')
      // Another service on the host's loopback stays out of reach.
      expect(await fetchFromGuest(`http://${TAP_ADDRESS}:${OTHER_PORT}/`)).toBe('failed ECONNREFUSED')

      // A hostile guest that routes 127.0.0.0/8 to its gateway gets nothing (the guard drops it first).
      await ip(guest, 'route', 'del', 'local', '127.0.0.1', 'dev', 'lo', 'table', 'local')
      await ip(guest, 'route', 'del', 'local', '127.0.0.0/8', 'dev', 'lo', 'table', 'local')
      await netns.run(guest, 'sysctl', ['-q', '-w', 'net.ipv4.conf.eth0.route_localnet=1'])
      await ip(guest, 'route', 'add', '127.0.0.0/8', 'via', TAP_ADDRESS, 'dev', 'eth0')
      expect(await fetchFromGuest(`http://127.0.0.1:${OTHER_PORT}/`)).toMatch(/^failed /)
      expect((await listVmRules({ netns: host })).filter((rule) => rule.tap === tap).map((rule) => rule.kind).sort()).toEqual(['established', 'guard', 'loopback', 'masquerade', 'new'])

      await removeVmRules({ netns: host }, tap)
      expect(await listVmRules({ netns: host })).toEqual([])
    }, 60_000)

    it('a node listening on every address keeps being reached, through the same forward', async () => {
      const tap = 'tap-tngl-44'
      const { guest, host } = await guestBehind(tap)
      const server = lineLog(netns.spawn(host, process.execPath, ['-e', LOOPBACK_SERVER.replace("'127.0.0.1'", "'0.0.0.0'"), String(NODE_PORT), 'the node on 0.0.0.0']))
      await server.waitFor((line) => line === 'ready', WAIT_MS)
      const url = `http://${TAP_ADDRESS}:${NODE_PORT}/`
      expect(await netns.run(guest, process.execPath, ['-e', FETCH, url])).toBe('the node on 0.0.0.0')
      await addVmRules({ netns: host }, { tap, egress: 'lo', subnet: SUBNET, loopback: { hostAddress: TAP_ADDRESS, guestAddress: GUEST_ADDRESS, ports: [NODE_PORT] } })
      expect(await netns.run(guest, process.execPath, ['-e', FETCH, url])).toBe('the node on 0.0.0.0')
    }, 60_000)
  })
})
