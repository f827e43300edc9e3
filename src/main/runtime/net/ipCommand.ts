import { readFile, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { ExecaError, execa } from 'execa'
import { BpvmError } from '../../../shared/errors'
import { netAdminRequired } from './netAdmin'
import type { NetContext } from './netContext'

/** The only door to `ip` (iproute2): addresses, routes, links and TAP devices, JSON where `ip` has it. */

const TIMEOUT_MS = 10_000

async function ip(ctx: NetContext, args: string[]): Promise<string> {
  const full = ctx.netns ? ['-n', ctx.netns, ...args] : args
  try {
    const { stdout } = await execa('ip', full, { timeout: TIMEOUT_MS, stdin: 'ignore' })
    return stdout
  } catch (error) {
    throw ipError(args, error)
  }
}

function ipError(args: string[], error: unknown): unknown {
  if (!(error instanceof ExecaError)) return error
  if (error.code === 'ENOENT') return new BpvmError('PROGRAM_NOT_FOUND', 'ip is not installed (install the iproute2 package)', { program: 'ip' })
  const stderr = String(error.stderr ?? '').trim()
  if (/Operation not permitted/i.test(stderr)) return netAdminRequired(`ip ${args.join(' ')}`)
  return new BpvmError('IP_FAILED', `ip ${args.join(' ')} failed: ${stderr || error.shortMessage}`, { program: 'ip', exitCode: error.exitCode })
}

const json = async <T>(ctx: NetContext, args: string[]): Promise<T[]> => {
  const text = await ip(ctx, ['-j', ...args])
  return text.trim() === '' ? [] : (JSON.parse(text) as T[])
}

export interface HostAddress {
  ifname: string
  /** `a.b.c.d/p` */
  cidr: string
}

export async function listAddresses(ctx: NetContext): Promise<HostAddress[]> {
  type Entry = { ifname: string; addr_info?: Array<{ family: string; local: string; prefixlen: number }> }
  const links = await json<Entry>(ctx, ['-4', 'addr', 'show'])
  return links.flatMap((link) =>
    (link.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => ({ ifname: link.ifname, cidr: `${a.local}/${a.prefixlen}` }))
  )
}

export interface HostRoute {
  /** `default`, `a.b.c.d/p`, or a host address without prefix (a /32). */
  dst: string
  dev?: string
  gateway?: string
  type?: string
}

/** Routes of every table, so policy-routing tables count too. */
export async function listRoutes(ctx: NetContext): Promise<HostRoute[]> {
  return json<HostRoute>(ctx, ['-4', 'route', 'show', 'table', 'all'])
}

/** Every IPv4 network the host already uses, as CIDRs: a new subnet must overlap none of them. */
export async function occupiedCidrs(ctx: NetContext): Promise<string[]> {
  const [addresses, routes] = await Promise.all([listAddresses(ctx), listRoutes(ctx)])
  const fromRoutes = routes.filter((r) => r.dst !== 'default').map((r) => (r.dst.includes('/') ? r.dst : `${r.dst}/32`))
  return [...new Set([...addresses.map((a) => a.cidr), ...fromRoutes])]
}

/** The interface of the main table's default route, if there is one. */
export async function defaultRouteDevice(ctx: NetContext): Promise<string | undefined> {
  const routes = await json<HostRoute>(ctx, ['-4', 'route', 'show', 'default'])
  return routes.find((r) => r.dev !== undefined)?.dev
}

export interface HostLink {
  ifname: string
  up: boolean
  /** `tun` for TAP/TUN devices, `veth`, … (from `ip -d`). */
  kind?: string
  /** The interface's alias (`ip link set … alias`), which bpvm sets to its owner tag. */
  alias?: string
}

export async function listLinks(ctx: NetContext): Promise<HostLink[]> {
  type Entry = { ifname: string; flags?: string[]; linkinfo?: { info_kind?: string }; ifalias?: string }
  const links = await json<Entry>(ctx, ['-d', 'link', 'show'])
  return links.map((l) => ({
    ifname: l.ifname,
    up: l.flags?.includes('UP') ?? false,
    ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    ...(l.ifalias ? { alias: l.ifalias } : {})
  }))
}

export async function linkExists(ctx: NetContext, name: string): Promise<boolean> {
  return (await listLinks(ctx)).some((l) => l.ifname === name)
}

/**
 * Creates a TAP for a VMM that opens an existing one (QEMU), gives it the host-side address
 * and brings it up. A half-made TAP is removed before the error is reported.
 */
export async function createTap(ctx: NetContext, tap: { name: string; hostAddress: string; prefix: number; alias?: string }): Promise<void> {
  if (await linkExists(ctx, tap.name)) throw new BpvmError('LINK_EXISTS', `network interface ${tap.name} already exists`, { link: tap.name })
  await ip(ctx, ['tuntap', 'add', 'dev', tap.name, 'mode', 'tap'])
  try {
    if (tap.alias !== undefined) await ip(ctx, ['link', 'set', 'dev', tap.name, 'alias', tap.alias])
    await ip(ctx, ['addr', 'add', `${tap.hostAddress}/${tap.prefix}`, 'dev', tap.name])
    await ip(ctx, ['link', 'set', 'dev', tap.name, 'up'])
  } catch (error) {
    await deleteLink(ctx, tap.name).catch(() => undefined)
    throw error
  }
}

/** Deletes an interface; one that is already gone is not an error. Returns whether it existed. */
export async function deleteLink(ctx: NetContext, name: string): Promise<boolean> {
  if (!(await linkExists(ctx, name))) return false
  try {
    await ip(ctx, ['link', 'del', 'dev', name])
  } catch (error) {
    // Gone between the check and the delete: the outcome the caller wanted.
    if (!(await linkExists(ctx, name))) return true
    throw error
  }
  return true
}

/** Waits for an interface a VMM creates itself (cloud-hypervisor), polling with a deadline. */
export async function waitForLink(ctx: NetContext, name: string, { timeoutMs = 5000, intervalMs = 100 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await linkExists(ctx, name))) {
    if (Date.now() >= deadline) {
      throw new BpvmError('LINK_TIMEOUT', `network interface ${name} did not appear within ${(timeoutMs / 1000).toFixed(1)} s`, { link: name })
    }
    await sleep(intervalMs)
  }
}

/** Reads a sysctl under /proc/sys (e.g. `net/ipv4/ip_forward`) as the namespace sees it. */
export async function readSysctl(ctx: NetContext, key: string): Promise<string> {
  if (!ctx.netns) return (await readFile(`/proc/sys/${key}`, 'utf8')).trim()
  return (await ip({}, ['netns', 'exec', ctx.netns, 'cat', `/proc/sys/${key}`])).trim()
}

export async function writeSysctl(ctx: NetContext, key: string, value: string): Promise<void> {
  if (!ctx.netns) {
    await writeFile(`/proc/sys/${key}`, value).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EACCES' || error.code === 'EPERM' || error.code === 'EROFS' ? netAdminRequired(`writing ${key}`) : error
    })
    return
  }
  await ip({}, ['netns', 'exec', ctx.netns, 'sysctl', '-q', '-w', `${key.replaceAll('/', '.')}=${value}`])
}
