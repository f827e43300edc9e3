import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import { afterEach, describe, expect, it } from 'vitest'
import { BRIDGE_VSOCK_PORT } from '../../src/main/runtime/bridge/bridgeContract'
import { addVsockRoute, listVsockRoutes } from '../../src/main/runtime/bridge/vsockRoutes'
import { closeVsockRoute, openVsockRoute, prepareRouteProgram, reconcileVsockRouter, runningVsockRouter, vsockRouterPaths } from '../../src/main/runtime/bridge/vsockRouter'
import { startInstanceBridge, stopInstanceBridge } from '../../src/main/runtime/instance/instanceBridge'
import { instancePaths, type InstanceRecord } from '../../src/main/runtime/instance/instanceRecord'
import { UndoStack } from '../../src/main/runtime/instance/undoStack'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import { BridgeTestClient } from '../support/bridgeClient'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'
import { eventually, useTestBridges } from './bridgeHarness'

const inCi = process.env.CI === 'true' || process.env.CI === '1'

/** Whether this kernel has AF_VSOCK at all (socket(2) succeeds), without binding anything. */
async function kernelHasVsock(): Promise<boolean> {
  const probe = spawn('/usr/bin/python3', ['-c', 'import socket; socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM).close()'], { stdio: 'ignore' })
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false))
    probe.once('exit', (code) => resolve(code === 0))
  })
}

/** Waits until a socat child has bound its listening socket (it logs it with -d -d). */
async function socatListening(child: ChildProcess): Promise<void> {
  let seen = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes('listening on')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`socat exited (${code}): ${seen}`)))
  })
}

describeWithPrograms(['socat'], 'the host-wide vsock listener for QEMU on /dev/vhost-vsock', () => {
  const tempDir = useTempDirs('bpvm-vsock-')
  const startBridge = useTestBridges()
  const children: ChildProcess[] = []
  const clients: BridgeTestClient[] = []
  const routers: Array<ReturnType<typeof vsockRouterPaths>> = []
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close()
    for (const child of children.splice(0)) child.kill('SIGKILL')
    // A failed test must not leave a listener holding the host's vsock port.
    for (const paths of routers.splice(0)) {
      const listener = await runningVsockRouter(paths)
      if (listener) process.kill(listener.pid, 'SIGKILL')
    }
  })
  const routerPaths = async (): Promise<ReturnType<typeof vsockRouterPaths>> => {
    const paths = vsockRouterPaths({ state: await tempDir(), data: '', cache: '' })
    routers.push(paths)
    return paths
  }
  const track = (child: ChildProcess): ChildProcess => {
    children.push(child)
    return child
  }

  /**
   * socat runs the route program exactly as the host listener does (same command line, same
   * directory), but accepting on a Unix socket: a client bound to the relative path "5" then
   * reaches it with SOCAT_PEERADDR=5, as a guest with CID 5 does over vsock.
   */
  async function routedFront(paths: ReturnType<typeof vsockRouterPaths>): Promise<{ guestWithCid: (peer: string | undefined) => Promise<BridgeTestClient>; log: () => string }> {
    const { command, env } = await prepareRouteProgram(paths)
    const front = track(spawn('socat', ['-d', '-d', 'UNIX-LISTEN:front.sock,fork', `EXEC:${command}`], { cwd: paths.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }))
    let log = ''
    front.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
    await socatListening(front)
    const guestWithCid = async (peer: string | undefined): Promise<BridgeTestClient> => {
      const dir = await tempDir()
      const entry = join(dir, 'entry.sock')
      const bind = peer === undefined ? '' : `,bind=${peer}`
      const guest = track(spawn('socat', ['-d', '-d', `UNIX-LISTEN:${entry}`, `UNIX-CONNECT:${join(paths.dir, 'front.sock')}${bind}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }))
      await socatListening(guest)
      const client = BridgeTestClient.unix(entry)
      clients.push(client)
      return client
    }
    return { guestWithCid, log: () => log }
  }

  it('joins each peer CID to the bridge its route names, and refuses CIDs without one, the host and anonymous peers', async () => {
    const paths = await routerPaths()
    const [first, second] = [await startBridge({ serviceId: '42' }), await startBridge({ serviceId: '43' })]
    await addVsockRoute(paths.routes, 5, first.guestSocket)
    await addVsockRoute(paths.routes, 6, second.guestSocket)
    const { guestWithCid, log } = await routedFront(paths)

    await (await guestWithCid('5')).call('Ping')
    await (await guestWithCid('6')).call('Ping')
    await (await guestWithCid('6')).call('Ping')
    expect((await eventually(first.state, (s) => s.pings === 1)).pings).toBe(1)
    expect((await eventually(second.state, (s) => s.pings === 2)).pings).toBe(2)

    for (const peer of ['9', '2', '1', undefined]) {
      expect(await (await guestWithCid(peer)).statusOf('Ping')).toMatchObject({ code: status.UNAVAILABLE })
    }
    // The refusals are logged (socat's stderr, the router's log on a real host).
    expect(log()).toContain('vsock route: refused: peer CID 9: no bridge for it (ENOENT)')
    expect(log()).toContain('vsock route: refused: peer CID "2" is not a guest\'s')
    expect(log()).toContain('vsock route: refused: peer CID "1" is not a guest\'s')
    expect(log()).toContain('vsock route: refused: peer CID "<anon>" is not a guest\'s')
    expect((await first.state()).pings).toBe(1)
    expect((await second.state()).pings).toBe(2)
  }, 60_000)

  describe('its lifetime, on the host\u2019s real vsock port', () => {
    it('starts with the first route, is shared by the next, stops with the last; reconcile prunes routes and mends the listener', async (context) => {
      if (!(await kernelHasVsock())) {
        if (inCi) throw new Error('CI: this kernel has no AF_VSOCK, which the vsock listener test needs')
        context.skip()
      }
      const paths = await routerPaths()
      const opened = await openVsockRoute(5, '/nonexistent/5.sock', paths)
      expect(opened.started).toBe(true)
      expect(await readFile(paths.log, 'utf8')).toMatch(new RegExp(`listening on AF=40 .*port:${BRIDGE_VSOCK_PORT}`))
      const again = await openVsockRoute(6, '/nonexistent/6.sock', paths)
      expect(again).toEqual({ listener: opened.listener, started: false })
      expect(await listVsockRoutes(paths.routes)).toEqual([5, 6])

      await closeVsockRoute(5, paths)
      expect(await runningVsockRouter(paths)).toEqual(opened.listener)
      await closeVsockRoute(6, paths)
      expect(await runningVsockRouter(paths)).toBeUndefined()
      expect(await isProcessAlive(opened.listener)).toBe(false)
      expect((await readdir(paths.dir)).filter((f) => f === 'router.json')).toEqual([])

      // After a crash: the listener died while VM 7 runs, and VM 8's instance is gone.
      const crashed = await openVsockRoute(7, '/nonexistent/7.sock', paths)
      await addVsockRoute(paths.routes, 8, '/nonexistent/8.sock')
      process.kill(crashed.listener.pid, 'SIGKILL')
      await eventually(() => isProcessAlive(crashed.listener), (alive) => !alive)
      expect(await reconcileVsockRouter(async (cid) => cid === 7, paths)).toEqual({ pruned: [8], listener: 'started' })
      const mended = await runningVsockRouter(paths)
      expect(mended?.pid).not.toBe(crashed.listener.pid)
      expect(await reconcileVsockRouter(async (cid) => cid === 7, paths)).toEqual({ pruned: [] })
      expect(await reconcileVsockRouter(async () => false, paths)).toEqual({ pruned: [7], listener: 'stopped' })
      expect(await runningVsockRouter(paths)).toBeUndefined()
    }, 60_000)

    it("an instance on it: its launch routes its guest's CID to its bridge; its teardown takes the route and, as the last, the listener", async (context) => {
      if (!(await kernelHasVsock())) {
        if (inCi) throw new Error('CI: this kernel has no AF_VSOCK, which the vsock listener test needs')
        context.skip()
      }
      const paths = instancePaths('kernel-vsock')
      await mkdir(paths.logs, { recursive: true })
      const lease = { id: 9, hostAddress: '127.0.0.1', guestAddress: '127.0.0.2' }
      const started = await startInstanceBridge({ name: 'kernel-vsock', serviceId: '7', testMode: false, lease, paths, decision: { transport: 'vhost-vsock', reason: '' } }, new UndoStack())
      const bridgeProcess = await started.process
      const record = { name: 'kernel-vsock', net: { id: lease.id }, bridge: { transport: 'vhost-vsock', process: bridgeProcess } } as unknown as InstanceRecord
      try {
        expect(started.vsock).toEqual({ cid: 12, socket: paths.vsock })
        const router = vsockRouterPaths()
        routers.push(router)
        expect(await readlink(join(router.routes, '12'))).toBe(`${paths.vsock}_${BRIDGE_VSOCK_PORT}`)
        const listener = await runningVsockRouter()
        expect(listener).toBeDefined()

        const { guestWithCid } = await routedFront(router)
        await (await guestWithCid('12')).call('Ping')
        const state = await eventually(async () => JSON.parse(await readFile(join(paths.state, 'bridge-state.json'), 'utf8')) as { pings: number }, (s) => s.pings === 1)
        expect(state).toMatchObject({ pings: 1 })

        await stopInstanceBridge(record, paths)
        expect(await listVsockRoutes(router.routes)).toEqual([])
        expect(await runningVsockRouter()).toBeUndefined()
        expect(await isProcessAlive(bridgeProcess!)).toBe(false)
        expect(await isProcessAlive(listener as NonNullable<typeof listener>)).toBe(false)
      } finally {
        // Quiet for what is already gone; a failed check must not leave the bridge running.
        await stopInstanceBridge(record, paths)
      }
    }, 60_000)

    it('a port already taken fails the route with a clear error and leaves no route behind', async (context) => {
      if (!(await kernelHasVsock())) {
        if (inCi) throw new Error('CI: this kernel has no AF_VSOCK, which the vsock listener test needs')
        context.skip()
      }
      const other = track(spawn('socat', ['-d', '-d', `VSOCK-LISTEN:${BRIDGE_VSOCK_PORT}`, 'EXEC:/bin/true'], { stdio: ['ignore', 'ignore', 'pipe'] }))
      await socatListening(other)
      const paths = await routerPaths()
      await mkdir(paths.dir, { recursive: true })
      await expect(openVsockRoute(5, '/nonexistent/5.sock', paths)).rejects.toMatchObject({
        code: 'BRIDGE_LISTENER_FAILED',
        message: expect.stringMatching(/vsock port 8000 .*--bridge relay.*Address already in use/),
        details: { field: 'bridge' }
      })
      expect(await listVsockRoutes(paths.routes)).toEqual([])
      expect(await runningVsockRouter(paths)).toBeUndefined()
    }, 30_000)
  })
})
