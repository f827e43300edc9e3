import { deleteLink, listLinks, type HostLink } from './ipCommand'
import { vmIdOfTap, type NetContext } from './netContext'
import { ownerTag } from './ownerTag'
import { listVmRules, removeVmRules, type ListedRule } from './vmNetRules'

/** What the inventory needs of a lease. */
export interface LeaseRef {
  id: number
  tap: string
  owner: string
  subnet: string
}

/**
 * - `live`: a lease of this home holds it;
 * - `orphan`: this home provably made it (its TAP carries this home's tag) and no lease holds it:
 *   left by a crash or a killed process, and the only state cleanup removes;
 * - `other`: made by another bpvm home on this host (its TAP carries that home's tag);
 * - `unknown`: it only looks like ours (a `tap-tngl-*` without our tag, a rule whose TAP is
 *   gone or untagged, anything else in our table). Reported, never touched.
 */
export type Liveness = 'live' | 'orphan' | 'other' | 'unknown'

export interface NetInventory {
  leases: Array<LeaseRef & { state: Liveness; tapPresent: boolean; rules: number }>
  taps: Array<{ name: string; up: boolean; state: Liveness }>
  rules: Array<{ tap: string; kind: string; chain: string; handle: number; state: Liveness }>
}

/** Whose a TAP name is, from the leases of this home and the tags on the host's TAPs. */
export function tapOwnership(leases: readonly LeaseRef[], taps: readonly HostLink[], owner: string): (tap: string) => Liveness {
  const leasedTaps = new Set(leases.map((l) => l.tap))
  const tags = new Map(taps.map((t) => [t.ifname, t.alias]))
  return (tap) => {
    if (tap !== '' && leasedTaps.has(tap)) return 'live'
    const tag = tags.get(tap)
    if (tag === owner) return 'orphan'
    return tag?.startsWith('bpvm:') ? 'other' : 'unknown'
  }
}

/**
 * Everything on the host that carries our names — TAPs `tap-tngl-<id>` and rules in our
 * table — each marked live, orphan, other or unknown (see Liveness). `bpvm net ls` shows it and
 * `bpvm net cleanup` removes exactly its orphans.
 */
export async function netInventory(ctx: NetContext, leases: readonly LeaseRef[], owner: string = ownerTag()): Promise<NetInventory> {
  const [links, rules] = await Promise.all([listLinks(ctx), listVmRules(ctx)])
  const taps = links.filter((l) => vmIdOfTap(l.ifname) !== undefined)
  const state = tapOwnership(leases, taps, owner)
  return {
    leases: leases.map((lease) => ({
      ...lease,
      state: 'live',
      tapPresent: taps.some((t) => t.ifname === lease.tap),
      rules: rules.filter((r) => r.tap === lease.tap).length
    })),
    taps: taps.map((t) => ({ name: t.ifname, up: t.up, state: state(t.ifname) })),
    rules: rules.map((r: ListedRule) => ({ tap: r.tap, kind: r.kind, chain: r.chain, handle: r.handle, state: r.kind === 'foreign' ? 'unknown' : state(r.tap) }))
  }
}

export interface CleanupReport {
  removedTaps: string[]
  /** TAPs whose rules were removed. */
  removedRulesOf: string[]
}

/**
 * Removes orphans only: what this home tagged and no lease holds. `readLeases` is asked again
 * just before each removal: a launch that leased its subnet after the inventory was taken keeps
 * its TAP and rules.
 */
export async function cleanupOrphans(ctx: NetContext, readLeases: () => Promise<readonly LeaseRef[]>, owner: string = ownerTag()): Promise<CleanupReport> {
  const inventory = await netInventory(ctx, await readLeases(), owner)
  const stillOrphan = async (tap: string): Promise<boolean> => !(await readLeases()).some((lease) => lease.tap === tap)
  const removedRulesOf: string[] = []
  for (const tap of new Set(inventory.rules.filter((r) => r.state === 'orphan').map((r) => r.tap))) {
    if (!(await stillOrphan(tap))) continue
    await removeVmRules(ctx, tap)
    removedRulesOf.push(tap)
  }
  const removedTaps: string[] = []
  for (const tap of inventory.taps.filter((t) => t.state === 'orphan').map((t) => t.name)) {
    if ((await stillOrphan(tap)) && (await deleteLink(ctx, tap))) removedTaps.push(tap)
  }
  return { removedTaps, removedRulesOf }
}

/**
 * What a lease of this home held on the host, given back before the lease itself: its rules and
 * its TAP, which the lease proves are ours, unless that TAP now carries another home's tag or
 * none (then it is someone else's, and left). Returns what was removed.
 */
export async function releaseLeaseHoldings(ctx: NetContext, lease: LeaseRef, owner: string = ownerTag()): Promise<CleanupReport> {
  const tap = (await listLinks(ctx)).find((l) => l.ifname === lease.tap)
  if (tap && tap.alias !== owner) return { removedTaps: [], removedRulesOf: [] }
  const hadRules = (await listVmRules(ctx)).some((r) => r.tap === lease.tap)
  if (hadRules) await removeVmRules(ctx, lease.tap)
  const removedTap = tap !== undefined && (await deleteLink(ctx, lease.tap))
  return { removedTaps: removedTap ? [lease.tap] : [], removedRulesOf: hadRules ? [lease.tap] : [] }
}
