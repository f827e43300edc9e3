import { createRequire } from 'node:module'
import { mkdir, open, rename, rm, stat, symlink } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { z } from 'zod'
import { appDirs } from '../appDirs'
import { BpvmError } from '../../../shared/errors'
import { findSocatWithVsock, SOCAT, SOCAT_HINT, SOCAT_VSOCK_LISTENING, vsockListenerArgs } from '../host/socat'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { withFileLock } from '../state/fileLock'
import { parseJsonWith } from '../state/parseJson'
import { isProcessAlive, type ProcessIdentity } from '../state/processIdentity'
import { stderrTail } from '../vmm/stderrTail'
import { HELPER_READY_TIMEOUT_MS, stopDetachedVmm, VmmProcess } from '../vmm/vmmProcess'
import { BRIDGE_VSOCK_PORT } from './bridgeContract'
import { addVsockRoute, listVsockRoutes, removeVsockRoute } from './vsockRoutes'

/**
 * QEMU with the kernel's /dev/vhost-vsock: a guest's connection to CID 2 port 8000 arrives on
 * the host's own AF_VSOCK port 8000, one port for every VM on the host. One listener per home
 * (socat, as Node has no AF_VSOCK) hands each connection to the route program, which joins it to
 * the bridge of the instance with the peer's CID. It runs while any instance needs it.
 */

export function vsockRouterPaths(dirs = appDirs()) {
  const dir = join(dirs.state, 'vsock-router')
  return {
    dir,
    /** The listener's pid and start time while it runs. */
    record: join(dir, 'router.json'),
    /** socat's log: each accepted connection, and the route program's refusals. */
    log: join(dir, 'router.log'),
    routes: join(dir, 'routes'),
    lock: join(dir, 'router.lock'),
    /** socat runs commands split at spaces: these links give it paths without any. */
    nodeLink: join(dir, 'node')
  }
}

export type VsockRouterPaths = ReturnType<typeof vsockRouterPaths>

const identitySchema = z.object({ pid: z.number(), startTime: z.string() })

/** The route program with this Node: `vsockRoute.js` beside the built code, or its source through tsx. */
function routeProgram(): { entry: string; env: Record<string, string> } {
  const here = import.meta.url
  const env: Record<string, string> = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}
  if (!here.endsWith('.ts')) return { entry: fileURLToPath(new URL('./vsockRoute.js', here)), env }
  // A file URL has no spaces, so NODE_OPTIONS needs no quoting.
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href
  return { entry: fileURLToPath(new URL('./vsockRouteMain.ts', here)), env: { ...env, NODE_OPTIONS: `--import=${tsx}` } }
}

async function linkFresh(link: string, target: string): Promise<void> {
  const temporary = `${link}.${process.pid}`
  await rm(temporary, { force: true })
  await symlink(target, temporary)
  await rename(temporary, link)
}

async function readRouter(paths: VsockRouterPaths): Promise<Required<ProcessIdentity> | undefined> {
  const text = await readTextIfExists(paths.record).catch(() => undefined)
  return text === undefined ? undefined : parseJsonWith(text, identitySchema)
}

async function logSize(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0
}

async function loggedSince(path: string, offset: number, pattern: RegExp): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined)
  if (!file) return false
  try {
    const { size } = await file.stat()
    const buffer = Buffer.alloc(Math.max(0, size - offset))
    await file.read(buffer, 0, buffer.length, offset)
    return pattern.test(buffer.toString('utf8'))
  } finally {
    await file.close()
  }
}

/**
 * Links the route program's interpreter and entry into the router's directory (socat runs
 * commands split at spaces, and these paths may hold some) and gives the command line socat
 * runs there for each connection, with the environment it needs.
 */
export async function prepareRouteProgram(paths: VsockRouterPaths): Promise<{ command: string; env: Record<string, string> }> {
  const route = routeProgram()
  const entryLink = join(paths.dir, `route${extname(route.entry)}`)
  await mkdir(paths.dir, { recursive: true, mode: 0o700 })
  await linkFresh(paths.nodeLink, process.execPath)
  await linkFresh(entryLink, route.entry)
  return { command: `./${basename(paths.nodeLink)} ./${basename(entryLink)} --routes ${basename(paths.routes)}`, env: route.env }
}

/** Starts the listener unless it runs. Caller holds the lock. */
async function startUnlocked(paths: VsockRouterPaths): Promise<{ identity: Required<ProcessIdentity>; started: boolean }> {
  const running = await readRouter(paths)
  if (running && (await isProcessAlive(running))) return { identity: running, started: false }
  const socat = await findSocatWithVsock()
  if (!socat) throw new BpvmError('PROGRAM_NOT_FOUND', `bridge: QEMU's /dev/vhost-vsock needs ${SOCAT} with vsock on the host: ${SOCAT_HINT}`, { field: 'bridge', program: SOCAT })
  const { command, env } = await prepareRouteProgram(paths)
  const offset = await logSize(paths.log)
  try {
    const listener = await VmmProcess.start({
      program: socat.path,
      args: vsockListenerArgs(BRIDGE_VSOCK_PORT, command),
      env,
      cwd: paths.dir,
      stdoutPath: paths.log,
      stderrPath: paths.log,
      isReady: () => loggedSince(paths.log, offset, SOCAT_VSOCK_LISTENING),
      readyTimeoutMs: HELPER_READY_TIMEOUT_MS
    })
    await writeJsonAtomic(paths.record, listener.identity)
    return { identity: listener.identity, started: true }
  } catch (error) {
    throw new BpvmError(
      'BRIDGE_LISTENER_FAILED',
      `bridge: could not listen on the host's vsock port ${BRIDGE_VSOCK_PORT} (another manager, or another bpvm home, may hold it; --bridge relay avoids it)${await stderrTail(paths.log)}`,
      { field: 'bridge', cause: (error as Error).message }
    )
  }
}

/** Stops the listener when no route is left. Caller holds the lock. */
async function stopIfIdleUnlocked(paths: VsockRouterPaths): Promise<boolean> {
  if ((await listVsockRoutes(paths.routes)).length > 0) return false
  const running = await readRouter(paths)
  if (!running) return false
  const alive = await isProcessAlive(running)
  if (alive) await stopDetachedVmm(running, 2_000)
  await rm(paths.record, { force: true })
  return alive
}

async function locked<T>(paths: VsockRouterPaths, body: () => Promise<T>): Promise<T> {
  await mkdir(paths.routes, { recursive: true, mode: 0o700 })
  return withFileLock(paths.lock, body)
}

/** Routes `cid` to `bridgeSocket` and makes sure the listener runs. */
export async function openVsockRoute(cid: number, bridgeSocket: string, paths = vsockRouterPaths()): Promise<{ listener: Required<ProcessIdentity>; started: boolean }> {
  return locked(paths, async () => {
    await addVsockRoute(paths.routes, cid, bridgeSocket)
    try {
      const { identity, started } = await startUnlocked(paths)
      return { listener: identity, started }
    } catch (error) {
      await removeVsockRoute(paths.routes, cid)
      throw error
    }
  })
}

/** Removes `cid`'s route; the listener stops with the last one. */
export async function closeVsockRoute(cid: number, paths = vsockRouterPaths()): Promise<void> {
  await locked(paths, async () => {
    await removeVsockRoute(paths.routes, cid)
    await stopIfIdleUnlocked(paths)
  })
}

export interface VsockRouterReconcile {
  /** Routes whose instance is gone. */
  pruned: number[]
  /** `started`: a live instance needed the listener and it had died. `stopped`: nobody needed it. */
  listener?: 'started' | 'stopped'
  /** Why the listener a live instance needs could not be started. */
  problem?: string
}

/**
 * After a crash: keeps the routes `keep` answers yes for (the CIDs of the instances not stopped),
 * removes the others, and runs the listener exactly when a route is left. `keep` is asked under
 * the router's lock, the one a launch opens its route under, so it can look at the instances as
 * they are then.
 */
export async function reconcileVsockRouter(keep: (cid: number) => Promise<boolean>, paths = vsockRouterPaths()): Promise<VsockRouterReconcile> {
  const present = await listVsockRoutes(paths.routes)
  if (present.length === 0 && (await readRouter(paths)) === undefined) return { pruned: [] }
  return locked(paths, async () => {
    const pruned: number[] = []
    for (const cid of await listVsockRoutes(paths.routes)) {
      if (await keep(cid)) continue
      await removeVsockRoute(paths.routes, cid)
      pruned.push(cid)
    }
    if ((await listVsockRoutes(paths.routes)).length === 0) return { pruned, ...((await stopIfIdleUnlocked(paths)) ? { listener: 'stopped' as const } : {}) }
    const { started } = await startUnlocked(paths)
    return { pruned, ...(started ? { listener: 'started' as const } : {}) }
  })
}

/** The listener's identity when it runs, for `bpvm doctor` and the tests. */
export async function runningVsockRouter(paths = vsockRouterPaths()): Promise<Required<ProcessIdentity> | undefined> {
  const running = await readRouter(paths)
  return running && (await isProcessAlive(running)) ? running : undefined
}
