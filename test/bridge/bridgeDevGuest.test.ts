import { readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { status } from '@grpc/grpc-js'
import { expect, it } from 'vitest'
import { useLifecycleHost, type InstanceRow } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope } from '../support/runCli'

const CALL_CHILD = fileURLToPath(new URL('../support/bridgeCallChild.ts', import.meta.url))
const TSX = createRequire(import.meta.url).resolve('tsx')
const GUEST_PORT = 9000

/**
 * The dev guest's service: it finds BRIDGE_SOCKET_PATH made by the init's relay, and opens it to
 * the test on a TCP port of the guest (with the relay's own socat), so a real gRPC client on the
 * host goes guest port → BRIDGE_SOCKET_PATH → the init's relay → the bridge's port on the gateway.
 */
const DEV_RELAY_SERVICE = `#!/bin/sh
echo "svc: bridge socket \${BRIDGE_SOCKET_PATH:-unset}"
[ -S "$BRIDGE_SOCKET_PATH" ] && echo "svc: the relay's socket is there"
R=/lib/bpvm/relay
echo "svc: serving the bridge socket on port ${GUEST_PORT}"
exec $R/ld-linux-x86-64.so.2 --library-path $R $R/socat TCP-LISTEN:${GUEST_PORT},fork,reuseaddr "UNIX-CONNECT:$BRIDGE_SOCKET_PATH"
`

describeAsRoot('the dev guest reaches its bridge through its relay (QEMU, TCG, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft'], 'no vsock needed', () => {
    const lifecycle = useLifecycleHost('bridge-dev-relay')

    it('a gRPC client reaches the bridge through the guest relay: Ping counts, the service id is checked; nothing is left after teardown', async () => {
      const { ns, work, cli } = await lifecycle.host(DEV_RELAY_SERVICE)
      const call = async (target: string, method: string, request: unknown = {}): Promise<{ code: number; details?: string }> =>
        JSON.parse(await lifecycle.netns.run(ns, process.execPath, ['--import', TSX, CALL_CHILD, target, method, JSON.stringify(request)]))

      expect(envelope(await cli([...lifecycle.launchArgs(work, 'devrelay'), '--bridge', 'relay']))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'devrelay', state: 'succeeded' } })
      const log = await lifecycle.waitForGuestLog('devrelay', 'svc: serving the bridge socket', 120_000)
      expect(log).toMatch(/bpvm-init: bridge relay: \/run\/bpvm\/bridge\.sock to \d+\.\d+\.\d+\.\d+:8000/)
      expect(log).toContain('svc: bridge socket /run/bpvm/bridge.sock')
      expect(log).toContain("svc: the relay's socket is there")
      const row = (await lifecycle.listRows(cli)).find((r: InstanceRow) => r.name === 'devrelay')
      expect(row?.bridge).toMatchObject({ transport: 'relay', running: true, pings: 0 })

      const guest = `${String(row?.guestAddress)}:${GUEST_PORT}`
      let ping = await call(guest, 'Ping')
      // The guest's listener may still be starting when its log line is out.
      for (let i = 0; ping.code !== 0 && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 250))
        ping = await call(guest, 'Ping')
      }
      expect(ping).toMatchObject({ code: 0 })
      // The instance's service id is 2: another one is refused, as by the upstream manager.
      expect(await call(guest, 'RegisterBlueprintServiceProxy', { service_id: 3, api_key_prefix: 'svc_', upstream_url: 'http://127.0.0.1:9090', owners: [] })).toMatchObject({ code: status.PERMISSION_DENIED })
      const after = (await lifecycle.listRows(cli)).find((r: InstanceRow) => r.name === 'devrelay')
      expect(after?.bridge).toMatchObject({ transport: 'relay', pings: 1 })

      expect(envelope(await cli(['down', 'devrelay', '--json']))).toMatchObject({ ok: true, value: { name: 'devrelay', stopped: 'graceful' } })
      await lifecycle.expectNothingLeft(ns, 'devrelay')
      expect((await readdir(lifecycle.instanceDir('devrelay'))).filter((f) => f.includes('.sock'))).toEqual([])
    }, 300_000)
  })
})
