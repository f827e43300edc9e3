import ipaddr from 'ipaddr.js'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { cidrRange, numberToIpv4, parseIpv4Cidr, type Ipv4Cidr, type Ipv4Range } from './ipv4'

/**
 * The pool VM subnets come from. Each VM gets a /30 of its own: the TAP (host side, the guest's
 * gateway) takes its first host, the guest the second, so no two VMs ever share a link or a route.
 */
export const DEFAULT_POOL = '172.30.0.0/16'
export const SUBNET_PREFIX = 30
const SUBNET_SIZE = 2 ** (32 - SUBNET_PREFIX)

/** ipaddr.js's names of the ranges no pool may touch, with how to say them. */
const UNUSABLE_RANGES = new Map<string, string>([
  ['unspecified', 'unspecified (0.0.0.0/8)'],
  ['broadcast', 'broadcast'],
  ['multicast', 'multicast'],
  ['loopback', 'loopback'],
  ['linkLocal', 'link-local'],
  ['reserved', 'reserved']
])

export interface SubnetPool extends Ipv4Range {
  cidr: string
  /** How many /30 subnets the pool holds. */
  subnets: number
}

export interface Subnet {
  /** `a.b.c.d/30` */
  subnet: string
  hostAddress: string
  guestAddress: string
  prefix: typeof SUBNET_PREFIX
}

export function parsePool(text: string, field: string): SubnetPool {
  const cidr = parseIpv4Cidr(text)
  if (!cidr) throw invalidInput(field, `expected an IPv4 network with a prefix length, like ${DEFAULT_POOL}, got ${JSON.stringify(text)}`)
  const range = cidrRange(cidr)
  const network = numberToIpv4(range.first)
  if (network !== cidr.address) throw invalidInput(field, `${text} has host bits set; did you mean ${network}/${cidr.prefix}?`)
  if (cidr.prefix > SUBNET_PREFIX) {
    throw invalidInput(field, `${text} is too small: each VM needs a /30 (TAP and guest address), so use a prefix of /30 or shorter`)
  }
  // VMs need ordinary unicast addresses: a pool reaching into these would route nowhere, or somewhere it must not.
  for (const edge of [range.first, range.last]) {
    const kind = ipaddr.IPv4.parse(numberToIpv4(edge)).range()
    if (UNUSABLE_RANGES.has(kind)) throw invalidInput(field, `${text} reaches into ${UNUSABLE_RANGES.get(kind)} addresses (${numberToIpv4(edge)}); use a private range such as ${DEFAULT_POOL}`)
  }
  return { cidr: text, ...range, subnets: (range.last - range.first + 1) / SUBNET_SIZE }
}

/** The /30 that starts at `first`, which must be a multiple of 4. */
export function subnetAt(first: number): Subnet {
  return { subnet: `${numberToIpv4(first)}/${SUBNET_PREFIX}`, hostAddress: numberToIpv4(first + 1), guestAddress: numberToIpv4(first + 2), prefix: SUBNET_PREFIX }
}

function requireCidr(text: string): Ipv4Cidr {
  const cidr = parseIpv4Cidr(text)
  if (!cidr) throw invalidInput('cidr', `expected an IPv4 address with a prefix length, got ${JSON.stringify(text)}`)
  return cidr
}

/** Whether two CIDRs share an address; host bits are ignored, so 172.30.0.1/16 stands for its network. */
export function overlaps(a: string, b: string): boolean {
  const [x, y] = [requireCidr(a), requireCidr(b)]
  // Two aligned blocks overlap exactly when one contains the other: compare on the shorter prefix.
  return ipaddr.IPv4.parse(x.address).match(ipaddr.IPv4.parse(y.address), Math.min(x.prefix, y.prefix))
}

/**
 * What a host address or route covers; nothing for the default route (it would block everything)
 * nor for IPv6, which cannot collide with an IPv4 subnet. A host route may come without a prefix.
 */
function occupiedRange(text: string): Ipv4Range | undefined {
  if (text === 'default' || text.includes(':')) return undefined
  const cidr = parseIpv4Cidr(text.includes('/') ? text : `${text}/32`)
  if (!cidr) throw new BpvmError('INTERNAL', `host address or route ${JSON.stringify(text)} is not an IPv4 CIDR`)
  return cidr.prefix === 0 ? undefined : cidrRange(cidr)
}

/** The /30s of the pool that `ranges` touch, as sorted, merged runs. */
function blockedRuns(pool: SubnetPool, ranges: readonly Ipv4Range[]): Ipv4Range[] {
  const alignDown = (n: number): number => n - (n % SUBNET_SIZE)
  const clipped = ranges
    .filter((r) => r.last >= pool.first && r.first <= pool.last)
    .map((r) => ({ first: alignDown(Math.max(r.first, pool.first)), last: alignDown(Math.min(r.last, pool.last)) + SUBNET_SIZE - 1 }))
    .sort((a, b) => a.first - b.first)
  const runs: Ipv4Range[] = []
  for (const range of clipped) {
    const previous = runs.at(-1)
    if (previous && range.first <= previous.last + 1) previous.last = Math.max(previous.last, range.last)
    else runs.push({ ...range })
  }
  return runs
}

const countSubnets = (runs: readonly Ipv4Range[]): number => runs.reduce((n, r) => n + (r.last - r.first + 1) / SUBNET_SIZE, 0)
const rangesOf = (cidrs: readonly string[]): Ipv4Range[] => cidrs.map((c) => cidrRange(requireCidr(c)))
const occupiedRanges = (cidrs: readonly string[]): Ipv4Range[] => cidrs.flatMap((c) => occupiedRange(c) ?? [])

/** The first /30 of the pool that overlaps neither a leased subnet nor a host address or route. */
export function firstFreeSubnet(pool: SubnetPool, leased: readonly string[], occupied: readonly string[]): Subnet | undefined {
  // Jumping over blocked runs keeps this fast for a large pool that is nearly full.
  let candidate = pool.first
  for (const run of blockedRuns(pool, [...rangesOf(leased), ...occupiedRanges(occupied)])) {
    if (candidate < run.first) break
    candidate = Math.max(candidate, run.last + 1)
  }
  return candidate <= pool.last ? subnetAt(candidate) : undefined
}

export interface PoolUsage {
  subnets: number
  leased: number
  /** Subnets not leased that overlap the host's own addresses or routes. */
  blockedByHost: number
  free: number
}

export function poolUsage(pool: SubnetPool, leased: readonly string[], occupied: readonly string[]): PoolUsage {
  const leasedRanges = rangesOf(leased)
  const leasedCount = countSubnets(blockedRuns(pool, leasedRanges))
  const unavailable = countSubnets(blockedRuns(pool, [...leasedRanges, ...occupiedRanges(occupied)]))
  return { subnets: pool.subnets, leased: leasedCount, blockedByHost: unavailable - leasedCount, free: pool.subnets - unavailable }
}

export function poolExhausted(pool: SubnetPool, leased: readonly string[], occupied: readonly string[]): BpvmError {
  const usage = poolUsage(pool, leased, occupied)
  return new BpvmError(
    'POOL_EXHAUSTED',
    `no free /30 subnet in the network pool ${pool.cidr}: it holds ${usage.subnets}, ${usage.leased} are leased to VMs and ` +
      `${usage.blockedByHost} overlap this host's own addresses or routes; stop a VM or configure a larger pool`,
    { pool: pool.cidr, ...usage }
  )
}
