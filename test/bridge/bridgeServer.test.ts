import { appendFile, lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { status } from '@grpc/grpc-js'
import { describe, expect, it } from 'vitest'
import { BridgeTestClient } from '../support/bridgeClient'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import { socketAnswers } from '../../src/main/runtime/vmm/staleSocket'
import { eventually, useTestBridges } from './bridgeHarness'

const owner = (byte: number, keyType = 'ECDSA') => ({ key_type: keyType, key_bytes: Buffer.alloc(33, byte) })
const registration = (serviceId: number | string = 42) => ({ service_id: serviceId, api_key_prefix: 'svc_', upstream_url: 'http://127.0.0.1:9090', owners: [owner(1)] })

describe('the manager bridge over gRPC (a real @grpc/grpc-js client against the bridge process)', () => {
  const bridgeWith = useTestBridges()

  it('answers Ping on both sockets and records the service as connected', async () => {
    const bridge = await bridgeWith()
    await bridge.client(bridge.guestSocket).call('Ping')
    await bridge.client(bridge.hostSocket).call('Ping')
    const state = await eventually(bridge.state, (s) => s.pings === 2)
    expect(state).toMatchObject({ pings: 2, lastPingAt: expect.any(String), firstPingAt: expect.any(String) })
  })

  it('keeps the proxy registration with the upstream semantics: pinned id, FailedPrecondition before it, owners idempotent, TLS checked', async () => {
    const bridge = await bridgeWith()
    const client = bridge.client()
    // Before a registration.
    for (const [method, request] of [
      ['UnregisterBlueprintServiceProxy', { service_id: 42 }],
      ['AddOwnerToService', { service_id: 42, owner_to_add: owner(2) }],
      ['RemoveOwnerFromService', { service_id: 42, owner_to_remove: owner(2) }],
      ['UpdateBlueprintServiceTlsProfile', { service_id: 42 }]
    ] as const) {
      expect(await client.statusOf(method, request)).toEqual({ code: status.FAILED_PRECONDITION, details: 'No service registered on this bridge' })
    }
    // Another service's id, whatever the method.
    expect(await client.statusOf('RegisterBlueprintServiceProxy', registration(43))).toMatchObject({ code: status.PERMISSION_DENIED })
    expect(await client.statusOf('AddOwnerToService', { service_id: '18446744073709551615', owner_to_add: owner(2) })).toMatchObject({ code: status.PERMISSION_DENIED })
    // TLS on without certificate and key; mTLS without a client CA.
    const tlsOn = { tls_enabled: true, encrypted_server_cert: Buffer.from('c') }
    expect(await client.statusOf('RegisterBlueprintServiceProxy', { ...registration(), tls_profile: tlsOn })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('certificate or key') })
    expect(await client.statusOf('RegisterBlueprintServiceProxy', { ...registration(), upstream_url: 'not a url' })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('upstream_url') })

    await client.call('RegisterBlueprintServiceProxy', registration())
    expect(await client.statusOf('AddOwnerToService', { service_id: 42 })).toEqual({ code: status.INVALID_ARGUMENT, details: 'owner_to_add is required' })
    await client.call('AddOwnerToService', { service_id: 42, owner_to_add: owner(2, 'SR25519') })
    await client.call('AddOwnerToService', { service_id: 42, owner_to_add: owner(2, 'SR25519') })
    await client.call('RemoveOwnerFromService', { service_id: 42, owner_to_remove: owner(1) })
    const mtlsNoCa = { tls_enabled: true, require_client_mtls: true, encrypted_server_cert: Buffer.from('c'), encrypted_server_key: Buffer.from('k') }
    expect(await client.statusOf('UpdateBlueprintServiceTlsProfile', { service_id: 42, tls_profile: mtlsNoCa })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('client CA') })
    await client.call('UpdateBlueprintServiceTlsProfile', { service_id: 42, tls_profile: { ...mtlsNoCa, encrypted_client_ca_bundle: Buffer.from('ca'), sni: 'svc.local' } })
    const state = await eventually(bridge.state, (s) => s.registration?.tls !== undefined)
    expect(state.registration).toMatchObject({
      serviceId: '42', apiKeyPrefix: 'svc_', upstreamUrl: 'http://127.0.0.1:9090',
      owners: [{ keyType: 'SR25519', key: '02'.repeat(33) }],
      tls: { enabled: true, requireClientMtls: true, parts: ['server_cert', 'server_key', 'client_ca_bundle'], sni: 'svc.local' }
    })
    // The encrypted material itself is not kept.
    expect(JSON.stringify(state)).not.toContain(Buffer.from('k').toString('base64'))

    await client.call('UnregisterBlueprintServiceProxy', { service_id: 42 })
    expect((await eventually(bridge.state, (s) => s.registration === undefined)).registration).toBeUndefined()
  })

  it('refuses oversized messages, unknown methods and garbage bytes with gRPC errors, and keeps serving', async () => {
    const bridge = await bridgeWith()
    const client = bridge.client()
    const huge = await client.statusOf('RegisterBlueprintServiceProxy', { ...registration(), api_key_prefix: 'x'.repeat(200_000) })
    expect(huge.code).toBe(status.RESOURCE_EXHAUSTED)
    const unknown = await new Promise<number>((resolve) => {
      const raw = new BridgeTestClient(`unix:${bridge.guestSocket}`)
      ;(raw as unknown as { client: { makeUnaryRequest: (...args: unknown[]) => void } }).client.makeUnaryRequest(
        '/blueprint_manager_bridge.BlueprintManagerBridge/NoSuchMethod', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0),
        (error: { code: number } | null) => {
          raw.close()
          resolve(error?.code ?? 0)
        }
      )
    })
    expect(unknown).toBe(status.UNIMPLEMENTED)
    // Not HTTP/2 at all: the bridge hangs up.
    await new Promise<void>((resolve) => {
      const socket = connect(bridge.guestSocket, () => socket.write(Buffer.alloc(4096, 0xff)))
      // Read what it answers (its SETTINGS, then GOAWAY), or the hang-up is never seen.
      socket.resume()
      socket.on('close', () => resolve())
      socket.on('error', () => resolve())
    })
    await client.call('Ping')
    expect(await isProcessAlive(bridge.identity)).toBe(true)
  })

  it('gives the preferred port when free, another when taken, a bounded number, and forwards 127.0.0.1:<port> to the guest', async () => {
    const bridge = await bridgeWith({ maxPorts: 3 })
    const client = bridge.client()
    const blocker = await listen('127.0.0.1', 0)
    const taken = blocker.port
    const guestService = await listen('127.0.0.2', 0, (socket) => socket.end('hello from the guest\n'))
    const guestPort = guestService.port
    try {
      // Free on the host's loopback: given as asked; the forward reaches the "guest" (127.0.0.2 here).
      await blocker.close()
      const free = await client.call<{ port: number }>('RequestPort', { preferred_port: guestPort })
      expect(free.port).toBe(guestPort)
      expect(await readAll(guestPort)).toBe('hello from the guest\n')
      // Asking again for a port it holds gives it again.
      expect((await client.call<{ port: number }>('RequestPort', { preferred_port: guestPort })).port).toBe(guestPort)
      // Taken on the host: another port, OS-assigned; port 0: any port.
      const busy = await listen('127.0.0.1', taken)
      const other = await client.call<{ port: number }>('RequestPort', { preferred_port: taken })
      await busy.close()
      expect(other.port).not.toBe(taken)
      expect((await client.call<{ port: number }>('RequestPort', { preferred_port: 0 })).port).toBeGreaterThan(0)
      // The limit (3 here) holds under a flood of calls.
      const flood = await Promise.all(Array.from({ length: 10 }, (_, i) => client.statusOf('RequestPort', { preferred_port: 20_000 + i })))
      expect(flood.every((r) => r.code === status.RESOURCE_EXHAUSTED && r.details.includes('already holds 3 ports'))).toBe(true)
      expect(await client.statusOf('RequestPort', { preferred_port: 70_000 })).toMatchObject({ code: status.INVALID_ARGUMENT })
      // A port with nothing behind it in the guest is reported.
      await readAll(other.port).catch(() => undefined)
      const state = await eventually(bridge.state, (s) => s.ports.find((p) => p.port === other.port)?.guestAccepts === false)
      expect(state.ports.map((p) => p.port)).toHaveLength(3)
      expect(state.ports.find((p) => p.port === guestPort)).toMatchObject({ guestAccepts: true, preferred: guestPort })
      expect(await bridge.log()).toContain(`port ${other.port}: refused by 127.0.0.2:${other.port}`)
    } finally {
      await guestService.close()
    }
  })

  it('keeps its state across a restart: ports listened on again, registration and pings kept', async () => {
    const bridge = await bridgeWith()
    const client = bridge.client()
    await client.call('Ping')
    await client.call('RegisterBlueprintServiceProxy', registration())
    const { port } = await client.call<{ port: number }>('RequestPort', { preferred_port: 0 })
    await eventually(bridge.state, (s) => s.ports.length === 1 && s.registration !== undefined)
    process.kill(bridge.identity.pid, 'SIGKILL')
    await eventually(() => isProcessAlive(bridge.identity), (alive) => !alive)
    await eventually(() => socketAnswers(bridge.hostSocket), (answers) => !answers)
    // Meanwhile another program takes the port: the bridge starts anyway and reports it.
    const squatter = await listen('127.0.0.1', port)
    await bridge.restart()
    // State writes are coalesced and land after the bridge answers: looked at until the problem is there.
    const restarted = await eventually(bridge.state, (s) => s.ports[0]?.problem !== undefined)
    expect(restarted.ports).toMatchObject([{ port, problem: expect.stringContaining('taken by another program') }])
    await squatter.close()
    // Once it is free, asking for it again gives it back: one entry, no problem.
    expect((await bridge.client().call<{ port: number }>('RequestPort', { preferred_port: port })).port).toBe(port)
    const after = bridge.client()
    // Registered already: a second registration on the same bridge replaces it (as upstream), the owner call finds it.
    await after.call('AddOwnerToService', { service_id: 42, owner_to_add: owner(9) })
    const state = await eventually(bridge.state, (s) => s.ports.length === 1 && s.ports[0]?.problem === undefined && s.registration?.owners.length === 2)
    expect(state).toMatchObject({ pings: 1, ports: [{ port }], registration: { serviceId: '42' } })
    expect(state.ports).toHaveLength(1)
    expect(state.ports[0]).not.toHaveProperty('problem')
    expect(await canConnect('127.0.0.1', port)).toBe(true)
  })

  it('keeps two instances apart: each refuses the other service id', async () => {
    const [a, b] = [await bridgeWith({ serviceId: '1' }), await bridgeWith({ serviceId: '2' })]
    await a.client().call('RegisterBlueprintServiceProxy', registration(1))
    expect(await b.client().statusOf('RegisterBlueprintServiceProxy', registration(1))).toMatchObject({ code: status.PERMISSION_DENIED })
    expect(await a.client().statusOf('UnregisterBlueprintServiceProxy', { service_id: 2 })).toMatchObject({ code: status.PERMISSION_DENIED })
    expect((await b.state()).registration).toBeUndefined()
  })

  it('relay: accepts only the guest address on its TCP port and refuses any other peer', async () => {
    const relayPort = 20_000 + (process.pid % 20_000)
    const bridge = await bridgeWith({ transport: 'relay', relayPort, hostAddress: '127.0.0.1', guestAddress: '127.0.0.2' })
    const fromGuest = await relayClient(bridge.dir, relayPort, '127.0.0.2')
    await fromGuest.call('Ping')
    fromGuest.closeAll()
    const fromElsewhere = await relayClient(bridge.dir, relayPort, '127.0.0.3')
    const refused = await fromElsewhere.statusOf('Ping')
    fromElsewhere.closeAll()
    expect(refused.code).toBe(status.UNAVAILABLE)
    const state = await eventually(bridge.state, (s) => (s.refusedPeers ?? 0) >= 1)
    expect(state).toMatchObject({ pings: 1, lastRefusedPeer: '127.0.0.3' })
  })

  it('warns when a service that started has not pinged in time, and the warning goes with the first Ping', async () => {
    const bridge = await bridgeWith({ pingWarningSeconds: 1 })
    await appendFile(bridge.config.serialLog, 'booting\nBPVM_EVENT service-started pid=7\n')
    const warned = await eventually(bridge.state, (s) => s.warning !== undefined)
    expect(warned.warning).toMatch(/has not pinged its bridge 1 s after it started: no vsock in the guest, the relay down, or a service built without the bridge/)
    await bridge.client().call('Ping')
    expect((await eventually(bridge.state, (s) => s.warning === undefined)).warning).toBeUndefined()
  })

  it('leaves nothing behind when stopped: process gone, sockets removed, ports closed', async () => {
    const bridge = await bridgeWith()
    const { port } = await bridge.client().call<{ port: number }>('RequestPort', { preferred_port: 0 })
    await bridge.stop()
    expect(await isProcessAlive(bridge.identity)).toBe(false)
    expect((await readdir(bridge.dir)).filter((f) => f.includes('.sock'))).toEqual([])
    await expect(lstat(bridge.hostSocket)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await canConnect('127.0.0.1', port)).toBe(false)
  })
})

interface Listening {
  port: number
  close: () => Promise<void>
}

function listen(host: string, port: number, onConnection: (socket: Socket) => void = () => undefined): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer(onConnection)
    server.once('error', reject)
    server.listen({ host, port }, () => {
      resolve({ port: (server.address() as { port: number }).port, close: () => new Promise<void>((done) => server.close(() => done())) })
    })
  })
}

function readAll(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const socket = connect({ host: '127.0.0.1', port })
    socket.on('data', (chunk) => (text += chunk.toString()))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
    socket.on('close', () => resolve(text))
  })
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
}

/**
 * A gRPC client whose TCP connection to the relay port comes from `localAddress` (the guest's
 * address, or another): grpc-js cannot choose its source address, so it dials a Unix socket
 * here that joins each connection to a TCP one made from that address.
 */
async function relayClient(dir: string, port: number, localAddress: string): Promise<BridgeTestClient & { closeAll: () => void }> {
  const path = join(dir, `from-${localAddress}.sock`)
  const server = createServer((local) => {
    const remote = connect({ host: '127.0.0.1', port, localAddress })
    local.pipe(remote).pipe(local)
    const end = () => (local.destroy(), remote.destroy())
    local.on('error', end).on('close', end)
    remote.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(path, () => resolve()))
  const client = BridgeTestClient.unix(path)
  return Object.assign(client, { closeAll: () => (client.close(), server.close()) })
}
