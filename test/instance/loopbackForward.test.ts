import { expect, it } from 'vitest'
import { useLifecycleHost, type InstanceRow } from '../support/lifecycleHost'
import { lineLog } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope } from '../support/runCli'

const HTTP_PORT = 18545
const WS_PORT = 18546
const OTHER_PORT = 18547
const KMS_PORT = 18548
const WAIT_MS = 10_000

// A stand-in node: HTTP servers answering `<name> <port>`, bound to `address`; prints "ready" once all are bound.
const STAND_IN_NODE = `
const [address, ...ports] = process.argv.slice(1)
let bound = 0
for (const entry of ports) {
  const [port, name] = entry.split('=')
  require('node:http').createServer((req, res) => res.end(name + ' ' + port)).listen(Number(port), address, () => {
    if (++bound === ports.length) console.log('ready')
  })
}
`

/**
 * The dev guest's service: fetches its (rewritten) HTTP RPC URL, its WS RPC URL over HTTP, and
 * another port of the gateway whose host side is a second loopback service; then exits.
 */
const FETCHING_SERVICE = `#!/bin/sh
# busybox's wget crashes in a static build with glibc; nc speaks enough HTTP/1.0.
fetch() { printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 "$1" "$2" 2>&1 | tail -n 1; }
hostport() { r=\${1#*://}; r=\${r%%/*}; echo "\${r%%:*} \${r##*:}"; }
gw=\${HTTP_RPC_URL#http://}; gw=\${gw%%:*}
echo "svc: HTTP_RPC_URL=$HTTP_RPC_URL"
echo "svc: http [$(fetch $(hostport "$HTTP_RPC_URL"))]"
echo "svc: ws [$(fetch $(hostport "$WS_RPC_URL"))]"
echo "svc: other [$(fetch "$gw" ${OTHER_PORT})]"
[ -n "$KMS_URL" ] && echo "svc: kms [$(fetch $(hostport "$KMS_URL"))] at $KMS_URL"
echo "svc: done"
`

describeAsRoot('the guest reaches a local testnet node however it is bound (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft'], 'loopback RPC forwards and the RPC pre-flight', () => {
    const lifecycle = useLifecycleHost('loopback-forward')
    // The lifecycle's launches skip the RPC check; these make it.
    const withRpc = (args: string[]): string[] => {
      const out = args.filter((arg) => arg !== '--no-rpc-check')
      out[out.indexOf('--http-rpc-url') + 1] = `http://127.0.0.1:${HTTP_PORT}`
      out[out.indexOf('--ws-rpc-url') + 1] = `ws://127.0.0.1:${WS_PORT}`
      return out
    }

    async function startNode(ns: string, address: string, ports: Array<[number, string]>): Promise<void> {
      const node = lineLog(lifecycle.netns.spawn(ns, process.execPath, ['-e', STAND_IN_NODE, address, ...ports.map(([port, name]) => `${port}=${name}`)]))
      await node.waitFor((line) => line === 'ready', WAIT_MS)
    }

    it('a node on 127.0.0.1: the guest reaches exactly its HTTP and WS ports at the gateway, not another loopback service; the forwards go at teardown', async () => {
      const { ns, work, cli } = await lifecycle.host(FETCHING_SERVICE)
      const args = withRpc(lifecycle.launchArgs(work, 'local-node'))

      // Nothing listens yet: the launch says so, naming the URLs, and boots nothing.
      const refused = envelope(await cli(args))
      expect(refused).toMatchObject({ ok: false, error: { code: 'RPC_UNREACHABLE' } })
      expect(refused.error?.message).toContain(`http://127.0.0.1:${HTTP_PORT} (connection refused)`)
      expect(refused.error?.message).toContain('is your local testnet running?')
      expect((await lifecycle.listRows(cli)).find((r) => r.name === 'local-node')).toBeUndefined()

      await startNode(ns, '127.0.0.1', [[HTTP_PORT, 'http-node'], [WS_PORT, 'ws-node'], [OTHER_PORT, 'other-service']])
      expect(envelope(await cli(args))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'local-node', state: 'succeeded' } })
      const row = (await lifecycle.listRows(cli)).find((r: InstanceRow) => r.name === 'local-node')
      const gateway = String(row?.guestAddress).replace(/\d+$/, (last) => String(Number(last) - 1))
      expect(row?.forwards).toEqual([
        { guest: `${gateway}:${HTTP_PORT}`, host: `127.0.0.1:${HTTP_PORT}`, for: ['HTTP_RPC_URL'] },
        { guest: `${gateway}:${WS_PORT}`, host: `127.0.0.1:${WS_PORT}`, for: ['WS_RPC_URL'] }
      ])
      const log = await lifecycle.waitForGuestLog('local-node', 'svc: done', 120_000)
      expect(log).toContain(`svc: HTTP_RPC_URL=http://${gateway}:${HTTP_PORT}`)
      expect(log).toContain(`svc: http [http-node ${HTTP_PORT}]`)
      expect(log).toContain(`svc: ws [ws-node ${WS_PORT}]`)
      expect(log).toMatch(/svc: other \[.*refused/)
      expect(log).not.toContain('other-service')

      await lifecycle.waitForStatus(cli, 'local-node', 'Finished', 60_000)
      // Listing changes nothing: the next command that changes something gives the network back.
      expect(envelope(await cli(['reconcile', '--json']))).toMatchObject({ ok: true, value: { ended: [{ name: 'local-node', status: 'Finished' }] } })
      expect((await lifecycle.listRows(cli)).find((r) => r.name === 'local-node')?.forwards).toEqual([])
      await lifecycle.expectNothingLeft(ns, 'local-node')
      expect(await lifecycle.netns.run(ns, 'nft', ['list', 'ruleset'])).not.toMatch(/dnat|route_localnet|127\.0\.0\.0\/8/)
    }, 300_000)

    it('no node: --no-rpc-check launches anyway; a node on 0.0.0.0 is reached through the same forward; a marked KMS URL is forwarded and rewritten', async () => {
      const { ns, work, cli } = await lifecycle.host(FETCHING_SERVICE)
      expect(envelope(await cli([...withRpc(lifecycle.launchArgs(work, 'unchecked')), '--no-rpc-check']))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'unchecked', state: 'succeeded' } })
      const unchecked = await lifecycle.waitForGuestLog('unchecked', 'svc: done', 120_000)
      expect(unchecked).toMatch(/svc: http \[.*refused/)
      await lifecycle.waitForStatus(cli, 'unchecked', 'Finished', 60_000)
      expect(envelope(await cli(['reconcile', '--json']))).toMatchObject({ ok: true })

      await startNode(ns, '0.0.0.0', [[HTTP_PORT, 'wildcard-node'], [WS_PORT, 'wildcard-ws']])
      // A further loopback service the user marks (a KMS): forwarded, and its URL rewritten in the service's environment.
      await startNode(ns, '127.0.0.1', [[KMS_PORT, 'kms']])
      const kmsUrl = `http://127.0.0.1:${KMS_PORT}`
      expect(envelope(await cli([...withRpc(lifecycle.launchArgs(work, 'wildcard')), '--env', `KMS_URL=${kmsUrl}`, '--forward', kmsUrl]))).toMatchObject({ ok: true, value: { kind: 'launch', target: 'wildcard', state: 'succeeded' } })
      const row = (await lifecycle.listRows(cli)).find((r: InstanceRow) => r.name === 'wildcard')
      const gateway = String(row?.guestAddress).replace(/\d+$/, (last) => String(Number(last) - 1))
      expect(row?.forwards).toContainEqual({ guest: `${gateway}:${KMS_PORT}`, host: `127.0.0.1:${KMS_PORT}`, for: [kmsUrl] })
      const log = await lifecycle.waitForGuestLog('wildcard', 'svc: done', 120_000)
      expect(log).toContain(`svc: http [wildcard-node ${HTTP_PORT}]`)
      expect(log).toContain(`svc: ws [wildcard-ws ${WS_PORT}]`)
      expect(log).toContain(`svc: kms [kms ${KMS_PORT}] at http://${gateway}:${KMS_PORT}`)
      await lifecycle.waitForStatus(cli, 'wildcard', 'Finished', 60_000)
      expect(envelope(await cli(['reconcile', '--json']))).toMatchObject({ ok: true, value: { ended: [{ name: 'wildcard', status: 'Finished' }] } })
      await lifecycle.expectNothingLeft(ns, 'wildcard')
    }, 300_000)
  })
})
