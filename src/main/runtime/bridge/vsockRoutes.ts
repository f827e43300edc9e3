import { mkdir, readdir, rename, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The host-wide vsock listener's routing table: one symlink per guest CID in a directory of the
 * app's own, named by the CID and pointing at that instance's bridge socket. A launch adds its
 * route before the VM boots; teardown removes it; reconcile prunes what no live instance owns.
 */

/** CIDs 0–2 are the hypervisor, local loopback and the host: never a guest. */
const FIRST_GUEST_CID = 3
const LAST_CID = 0xfffffffe

/** The route's file name for a peer CID as socat reports it, or undefined when it is no guest's. */
export function routeTargetName(peer: string): string | undefined {
  if (!/^[0-9]{1,10}$/.test(peer)) return undefined
  const cid = Number(peer)
  return cid >= FIRST_GUEST_CID && cid <= LAST_CID ? String(cid) : undefined
}

/** Points `cid` at `bridgeSocket`, replacing what it pointed at in one step. */
export async function addVsockRoute(routesDir: string, cid: number, bridgeSocket: string): Promise<void> {
  const name = routeTargetName(String(cid))
  if (name === undefined) throw new RangeError(`not a guest CID: ${cid}`)
  await mkdir(routesDir, { recursive: true, mode: 0o700 })
  const temporary = join(routesDir, `.${name}.${process.pid}`)
  await rm(temporary, { force: true })
  await symlink(bridgeSocket, temporary)
  await rename(temporary, join(routesDir, name))
}

export async function removeVsockRoute(routesDir: string, cid: number): Promise<void> {
  const name = routeTargetName(String(cid))
  if (name !== undefined) await rm(join(routesDir, name), { force: true })
}

/** The CIDs that have a route. */
export async function listVsockRoutes(routesDir: string): Promise<number[]> {
  const names = await readdir(routesDir).catch(() => [] as string[])
  return names.filter((name) => routeTargetName(name) === name).map(Number)
}
