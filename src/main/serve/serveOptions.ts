import { networkInterfaces } from 'node:os'
import ipaddr from 'ipaddr.js'
import { z } from 'zod'
import { BpvmError } from '../../shared/errors'
import { parseInput } from '../../shared/schemaInput'

/** A fixed default, so the address stays the same between runs (the token does not). */
export const DEFAULT_SERVE_PORT = 7420
export const DEFAULT_SERVE_HOST = '127.0.0.1'

export interface ServeOptions {
  host: string
  port: number
  allowRemote: boolean
}

const PORT_RANGE = 'must be a number from 0 to 65535'

const serveOptionsSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.:-]+$/, 'must be an IP address or a host name'),
    port: z
      .union([z.number(), z.string().transform((text) => (/^\d{1,5}$/.test(text) ? Number(text) : Number.NaN))])
      .pipe(z.number({ error: PORT_RANGE }).int(PORT_RANGE).min(0, PORT_RANGE).max(65535, PORT_RANGE)),
    allowRemote: z.boolean()
  })
  .strict()

const FLAGS: Record<string, string> = { host: '--host', port: '--port', allowRemote: '--allow-remote' }

/** Checks `bpvm serve`'s flags; a host other than loopback needs `--allow-remote`. */
export function parseServeOptions(input: { host?: string; port?: string | number; allowRemote?: boolean }): ServeOptions {
  const options = parseInput(
    serveOptionsSchema,
    { host: input.host ?? DEFAULT_SERVE_HOST, port: input.port ?? DEFAULT_SERVE_PORT, allowRemote: input.allowRemote === true },
    (path) => FLAGS[String(path[0])] ?? 'serve'
  )
  if (!isLoopbackHost(options.host) && !options.allowRemote) {
    throw new BpvmError(
      'REMOTE_NOT_ALLOWED',
      `--host ${options.host} is reachable from other machines: pass --allow-remote as well if that is what you want`,
      { field: '--host' }
    )
  }
  return options
}

/** The stderr warning for a server others can reach. */
export function remoteWarning(host: string): string {
  return `bpvm: warning: serving on ${host}, not loopback: anyone who can reach this address and has the token controls your VMs`
}

function parseAddress(host: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1')
  if (!ipaddr.isValid(bare)) return undefined
  const address = ipaddr.parse(bare)
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address
}

export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true
  return parseAddress(host)?.range() === 'loopback'
}

function isWildcardHost(host: string): boolean {
  return parseAddress(host)?.range() === 'unspecified'
}

/** `host:port` as it appears in a URL, an Origin or a Host header (IPv6 in brackets). */
export function authority(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1')
  return `${bare.includes(':') ? `[${bare}]` : bare}:${port}`
}

/**
 * Every `host:port` a browser may use to reach this server, for the Origin and Host checks: the
 * host it is bound to, the loopback names when bound to loopback (or to every interface), and
 * each interface's address when bound to every interface. Always for the bound port only.
 */
export function ownAuthorities(host: string, port: number): Set<string> {
  const hosts = new Set<string>([host.toLowerCase()])
  if (isLoopbackHost(host) || isWildcardHost(host)) for (const name of ['localhost', '127.0.0.1', '::1']) hosts.add(name)
  if (isWildcardHost(host)) {
    for (const list of Object.values(networkInterfaces())) for (const nic of list ?? []) hosts.add(nic.address.replace(/%.*$/, '').toLowerCase())
  }
  const names = new Set<string>()
  for (const h of hosts) {
    names.add(authority(h, port))
    // Browsers leave the default port out of Origin and Host.
    if (port === 80) names.add(authority(h, port).replace(/:80$/, ''))
  }
  return names
}

/** The address to print: loopback when bound to every interface, since that one surely works here. */
export function printableHost(host: string): string {
  return isWildcardHost(host) ? '127.0.0.1' : host
}
