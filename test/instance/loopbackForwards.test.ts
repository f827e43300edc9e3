import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { loopbackPort, markedPort, planLoopbackForwards } from '../../src/main/runtime/instance/loopbackForwards'
import { checkRpcEndpoint, requireRpcAnswers } from '../../src/main/runtime/instance/rpcPreflight'

describe("which host loopback ports a guest is given", () => {
  it('takes the ports of loopback RPC URLs (the default port when none is written), and only those', () => {
    expect(loopbackPort('http://127.0.0.1:9944')).toBe(9944)
    expect(loopbackPort('ws://localhost:8546/path')).toBe(8546)
    expect(loopbackPort('https://127.1.2.3')).toBe(443)
    expect(loopbackPort('ws://127.0.0.1')).toBe(80)
    expect(loopbackPort('http://192.0.2.1:9944')).toBeUndefined()
    expect(loopbackPort('not a url')).toBeUndefined()
    expect(planLoopbackForwards({ httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944' })).toEqual([{ port: 9944, for: ['HTTP_RPC_URL', 'WS_RPC_URL'] }])
    expect(planLoopbackForwards({ httpRpcUrl: 'https://rpc.example:443', wsRpcUrl: 'wss://rpc.example' })).toEqual([])
  })

  it('adds the ports the user marks, as loopback URLs or ports, sorted; anything else is refused naming the entry', () => {
    expect(planLoopbackForwards({ httpRpcUrl: 'http://127.0.0.1:8545', wsRpcUrl: 'ws://192.0.2.1:8546' }, ['http://localhost:9000/kms', '7000', '8545'])).toEqual([
      { port: 7000, for: ['7000'] },
      { port: 8545, for: ['HTTP_RPC_URL', '8545'] },
      { port: 9000, for: ['http://localhost:9000/kms'] }
    ])
    expect(() => markedPort('http://192.0.2.1:9000', 'forward.0')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'forward.0' } }))
    expect(() => markedPort('0', 'forward.1')).toThrow(/forward\.1: port must be from 1 to 65535/)
    expect(() => markedPort('70000', 'forward.1')).toThrow(/from 1 to 65535/)
  })
})

describe('the RPC pre-flight (real TCP connects on this host)', () => {
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((r) => server.close(r))
  })
  const listening = async (): Promise<number> => {
    const server = createServer((socket) => socket.end())
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as { port: number }).port
  }
  /** A port nothing listens on: one the OS just gave and took back. */
  const closed = async (): Promise<number> => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((r) => server.close(r))
    return port
  }

  it('says which URL answers and which does not, and why; localhost is checked at 127.0.0.1', async () => {
    const [up, down] = [await listening(), await closed()]
    expect(await checkRpcEndpoint('env.httpRpcUrl', `http://localhost:${up}`)).toEqual({ field: 'env.httpRpcUrl', url: `http://localhost:${up}`, ok: true })
    expect(await checkRpcEndpoint('env.wsRpcUrl', `ws://127.0.0.1:${down}`)).toEqual({ field: 'env.wsRpcUrl', url: `ws://127.0.0.1:${down}`, ok: false, problem: 'connection refused' })
    expect(await checkRpcEndpoint('env.wsRpcUrl', 'nope')).toMatchObject({ ok: false, problem: 'not a URL' })
  })

  it("fails a launch naming every URL nothing answers at, on the first one's field", async () => {
    const [up, down] = [await listening(), await closed()]
    await expect(requireRpcAnswers({ httpRpcUrl: `http://127.0.0.1:${up}`, wsRpcUrl: `ws://127.0.0.1:${up}` })).resolves.toBeUndefined()
    const failure = await requireRpcAnswers({ httpRpcUrl: `http://127.0.0.1:${up}`, wsRpcUrl: `ws://127.0.0.1:${down}` }).catch((e: unknown) => e)
    expect(failure).toMatchObject({ code: 'RPC_UNREACHABLE', details: { field: 'env.wsRpcUrl' } })
    expect((failure as Error).message).toBe(`nothing answers at ws://127.0.0.1:${down} (connection refused): is your local testnet running? (to launch anyway, skip the RPC check: --no-rpc-check, or the Launch form's checkbox)`)
  })
})
