import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { delimiter, dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEBIAN_BUILD_PROGRAMS, sharedDebianImage } from '../support/debianImage'
import { useLifecycleHost, type InstanceRow } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope } from '../support/runCli'
import { GUEST_BRIDGE_SERVICE } from './guestBridgeClient'

interface BridgeRow {
  transport: string
  running: boolean
  pings: number
  ports: Array<{ port: number; url: string; guestAccepts?: boolean }>
  registration?: { serviceId: string; upstreamUrl: string; owners: Array<{ keyType: string; key: string }> }
  refusedPeers?: number
}

describeAsRoot('the bridge end to end: a gRPC client in a real guest (QEMU, TCG, Debian guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'vhost-device-vsock', ...DEBIAN_BUILD_PROGRAMS], 'over vsock and over the relay', () => {
    const lifecycle = useLifecycleHost('bridge-guest')
    beforeAll(() => sharedDebianImage(), 600_000)

    const debianArgs = (work: string, name: string, extra: string[]): string[] =>
      lifecycle.launchArgs(work, name).map((arg) => (arg === 'dev' ? 'debian' : arg === '256M' ? '768M' : arg)).concat(extra)
    const bridgeOf = async (cli: Parameters<typeof lifecycle.listRows>[0], name: string): Promise<BridgeRow | undefined> =>
      (await lifecycle.listRows(cli)).find((r: InstanceRow) => r.name === name)?.bridge as BridgeRow | undefined

    it('Pings, gets a forwarded port and registers over each transport; another VM is refused; nothing is left after teardown', async () => {
      const { ns, work, cli } = await lifecycle.host(GUEST_BRIDGE_SERVICE)
      const fetchInNs = async (url: string): Promise<string> =>
        lifecycle.netns.run(ns, process.execPath, ['-e', `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(String(e)); process.exit(1) })`])

      // Over the relay (forced): the guest's socat joins BRIDGE_SOCKET_PATH to the bridge's port on the gateway.
      expect(envelope(await cli(debianArgs(work, 'relayed', ['--bridge', 'relay'])))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'relayed', state: 'succeeded' } })
      const relayedLog = await lifecycle.waitForGuestLog('relayed', 'svc: serving on', 300_000)
      expect(relayedLog).toContain('svc: bridge through the relay at /run/bpvm/bridge.sock')
      expect(relayedLog).toContain('svc: pinged the bridge')
      expect(relayedLog).toContain('svc: another service id: PERMISSION_DENIED')
      const relayed = await bridgeOf(cli, 'relayed')
      expect(relayed).toMatchObject({ transport: 'relay', running: true, pings: 1, ports: [{ port: 18080, url: 'http://127.0.0.1:18080' }], registration: { serviceId: '2', upstreamUrl: 'http://127.0.0.1:18080', owners: [{ keyType: 'ECDSA', key: '02'.repeat(33) }] } })
      // The port the service asked for reaches it from the host's loopback.
      expect(await fetchInNs('http://127.0.0.1:18080/')).toBe('hello from the guest on port 18080')
      const relayedGuest = String((await lifecycle.listRows(cli)).find((r) => r.name === 'relayed')?.guestAddress)
      const relayedGateway = relayedGuest.replace(/\d+$/, (last) => String(Number(last) - 1))

      // Over vsock (QEMU + vhost-device-vsock); its service also tries the first instance's relay port.
      expect(envelope(await cli(debianArgs(work, 'vsocked', ['--bridge', 'vsock', '--env', `OTHER_BRIDGE=${relayedGateway}:8000`])))).toMatchObject({ ok: true })
      const vsockLog = await lifecycle.waitForGuestLog('vsocked', 'svc: serving on', 300_000)
      expect(vsockLog).toContain('svc: vsock transport loaded')
      expect(vsockLog).toContain('svc: bridge over vsock')
      expect(vsockLog).toContain('svc: registered')
      // The preferred port is the first instance's: this one gets another, and it forwards too.
      const vsocked = await bridgeOf(cli, 'vsocked')
      expect(vsocked).toMatchObject({ transport: 'vhost-user-vsock', running: true, pings: 1, registration: { serviceId: '2' } })
      const port = vsocked?.ports[0]?.port ?? 0
      expect(port).not.toBe(18080)
      expect(vsockLog).toContain(`svc: port ${port}`)
      expect(await fetchInNs(`http://127.0.0.1:${port}/`)).toBe(`hello from the guest on port ${port}`)
      // A second VM reaching for the first one's bridge is refused, and the first one says so.
      expect(vsockLog).toContain('svc: the other bridge: UNAVAILABLE')
      const vsockedGuest = String((await lifecycle.listRows(cli)).find((r) => r.name === 'vsocked')?.guestAddress)
      expect(await bridgeOf(cli, 'relayed')).toMatchObject({ refusedPeers: expect.any(Number) })
      expect(await readFile(join(lifecycle.instanceDir('relayed'), 'logs', 'bridge.log'), 'utf8')).toContain(`relay: refused a connection from ${vsockedGuest}`)

      for (const name of ['relayed', 'vsocked']) {
        expect(envelope(await cli(['down', name, '--json']))).toMatchObject({ ok: true, value: { name, stopped: 'graceful' } })
        expect(await bridgeOf(cli, name)).toMatchObject({ running: false })
      }
      for (const name of ['relayed', 'vsocked']) {
        await lifecycle.expectNothingLeft(ns, name)
        expect((await readdir(lifecycle.instanceDir(name))).filter((f) => f.includes('.sock'))).toEqual([])
      }
      // The forwards went with the bridges.
      await expect(fetchInNs('http://127.0.0.1:18080/')).rejects.toThrow()
      const left = await lifecycle.netns.run(ns, 'ss', ['-Htlnx'])
      expect(left).not.toMatch(/bridge|vsock|:18080/)
    }, 900_000)
  })
})

/**
 * Transport 3: QEMU with the kernel's /dev/vhost-vsock and the host-wide socat listener. Hosts
 * without the device (micro-VMs, CI here) cannot run it: it says so and does not run, in CI too.
 */
const VHOST_VSOCK = '/dev/vhost-vsock'
const vhostVsockMissing = !existsSync(VHOST_VSOCK)
if (vhostVsockMissing) console.warn(`did not run "the bridge over /dev/vhost-vsock": this host has no ${VHOST_VSOCK} (modprobe vhost_vsock)`)
const describeWithVhostVsock = vhostVsockMissing ? describe.skip : describe

describeWithVhostVsock(`the bridge over ${VHOST_VSOCK} (QEMU, Debian guest, socat listening on the host's vsock)${vhostVsockMissing ? ` (did not run: no ${VHOST_VSOCK} on this host)` : ''}`, () => {
  describeAsRoot('in a network namespace', () => {
    describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'socat', ...DEBIAN_BUILD_PROGRAMS], 'a real guest', () => {
      const lifecycle = useLifecycleHost('bridge-vhost-vsock')
      beforeAll(() => sharedDebianImage(), 600_000)

      it('the guest Pings, registers and gets a forwarded port; the listener goes with the last VM', async () => {
        const { ns, work, cli } = await lifecycle.host(GUEST_BRIDGE_SERVICE)
        // Without vhost-device-vsock on PATH, auto picks the kernel's device.
        const daemonDirs = new Set(['/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter).filter((dir) => existsSync(join(dir, 'vhost-device-vsock')))])
        const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => !daemonDirs.has(dir)).concat(dirname(process.execPath)).join(delimiter)
        const args = lifecycle.launchArgs(work, 'kernelvsock').map((arg) => (arg === 'dev' ? 'debian' : arg === '256M' ? '768M' : arg))
        expect(envelope(await cli([...args, '--bridge', 'vsock'], ['env', `PATH=${path}`]))).toMatchObject({ ok: true })
        const log = await lifecycle.waitForGuestLog('kernelvsock', 'svc: serving on', 300_000)
        expect(log).toContain('svc: bridge over vsock')
        const row = (await lifecycle.listRows(cli)).find((r: InstanceRow) => r.name === 'kernelvsock')
        expect(row?.bridge).toMatchObject({ transport: 'vhost-vsock', running: true, pings: 1, registration: { serviceId: '2' } })
        const routerDir = join(lifecycle.instanceDir('kernelvsock'), '..', '..', 'vsock-router')
        expect(await readFile(join(routerDir, 'router.log'), 'utf8')).toMatch(/accepting connection from AF=40 cid:\d+/)
        expect(envelope(await cli(['down', 'kernelvsock', '--json']))).toMatchObject({ ok: true })
        await lifecycle.expectNothingLeft(ns, 'kernelvsock')
        expect(await readdir(join(routerDir, 'routes'))).toEqual([])
        expect(existsSync(join(routerDir, 'router.json'))).toBe(false)
      }, 900_000)
    })
  })
})
