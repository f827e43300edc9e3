import { expect, it } from 'vitest'
import { addVmRules, removeVmRules } from '../../src/main/runtime/net/vmNetRules'
import { lineLog, useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'

// Every address lives only inside the test's own namespaces.
const SUBNET = '172.30.0.4/30'
const TAP_ADDRESS = '172.30.0.5'
const GUEST_ADDRESS = '172.30.0.6'
const HOST_UPLINK = '192.0.2.1'
const UPSTREAM_ADDRESS = '192.0.2.2'
const PORT = '5999'
const WAIT_MS = 10_000

// Prints "ready" once bound, then "<source address> <payload>" for each datagram.
const LISTENER = `
const socket = require('node:dgram').createSocket('udp4')
socket.on('message', (msg, rinfo) => console.log(rinfo.address + ' ' + msg.toString()))
socket.bind(Number(process.argv[2]), process.argv[1], () => console.log('ready'))
`

// Sends the payload three times from a fixed source port, so each phase is its own conntrack flow.
const SENDER = `
const [host, port, sourcePort, payload] = process.argv.slice(1)
const socket = require('node:dgram').createSocket('udp4')
socket.bind(Number(sourcePort), () => {
  let sent = 0
  const next = () => socket.send(payload, Number(port), host, () => (++sent < 3 ? setTimeout(next, 100) : socket.close()))
  next()
})
`

describeAsRoot('VM masquerade with real traffic', () => {
  describeWithPrograms(['nft', 'ip'], 'guest ↔ host ↔ upstream namespaces', () => {
    const netns = useNetns()

    it('rewrites the guest source to the host uplink address only while the rules are in place', async () => {
      const [guest, host, upstream] = [await netns.create(), await netns.create(), await netns.create()]
      const tap = 'tap-tngl-42'
      const ip = (ns: string, ...args: string[]) => netns.run(ns, 'ip', args)

      await netns.veth(host, tap, guest, 'eth0')
      await netns.veth(host, 'up0', upstream, 'eth0')
      await ip(host, 'addr', 'add', `${TAP_ADDRESS}/30`, 'dev', tap)
      await ip(host, 'addr', 'add', `${HOST_UPLINK}/24`, 'dev', 'up0')
      await ip(guest, 'addr', 'add', `${GUEST_ADDRESS}/30`, 'dev', 'eth0')
      await ip(guest, 'route', 'add', 'default', 'via', TAP_ADDRESS, 'dev', 'eth0')
      await ip(upstream, 'addr', 'add', `${UPSTREAM_ADDRESS}/24`, 'dev', 'eth0')
      // Lets un-masqueraded datagrams pass reverse-path checks in the upstream namespace.
      await ip(upstream, 'route', 'add', SUBNET, 'via', HOST_UPLINK)
      await netns.run(host, 'sysctl', ['-w', 'net.ipv4.ip_forward=1'])

      const listener = netns.spawn(upstream, process.execPath, ['-e', LISTENER, UPSTREAM_ADDRESS, PORT])
      const heard = lineLog(listener)
      await heard.waitFor((line) => line === 'ready', WAIT_MS)

      const sourceOf = async (payload: string, sourcePort: string): Promise<string> => {
        await netns.run(guest, process.execPath, ['-e', SENDER, UPSTREAM_ADDRESS, PORT, sourcePort, payload])
        const line = await heard.waitFor((l) => l.endsWith(` ${payload}`), WAIT_MS)
        return line.split(' ')[0] ?? ''
      }

      expect(await sourceOf('before-rules', '40001')).toBe(GUEST_ADDRESS)

      await addVmRules({ netns: host }, { tap, egress: 'up0', subnet: SUBNET })
      expect(await sourceOf('with-rules', '40002')).toBe(HOST_UPLINK)

      await removeVmRules({ netns: host }, tap)
      expect(await sourceOf('after-removal', '40003')).toBe(GUEST_ADDRESS)
    })
  })
})
