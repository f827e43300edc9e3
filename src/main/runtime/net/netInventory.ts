import { deleteLink, listLinks } from './ipCommand'
import { vmIdOfTap, type NetContext } from './netContext'
import { ownerTag } from './ownerTag'
import { listVmRules, removeVmRules } from './vmNetRules'

/** What the inventory needs of a lease. */
export interface LeaseRef {
  id: number
  tap: string
  owner: string
  subnet: string
}

/** `other`: made by another bpvm home on this host (its TAP carries that home's tag); never touched. */
export type Liveness = 'live' | 'orphan' | 'other'

export interface NetInventory {
  leases: Array<LeaseRef & { state: Liveness; tapPresent: boolean; rules: number }>
  taps: Array<{ name: string; up: boolean; state: Liveness }>
  rules: Array<{ tap: string; kind: string; chain: string; handle: number; state: Liveness }>
}

/**
 * Everything on the host that carries our names — TAPs `tap-tngl-<id>` and rules in our
 * table — each marked live (a lease holds it), orphan (left by a crash or a killed process),
 * or other (its TAP is tagged by another bpvm home than `owner`). A TAP without a tag counts
 * as ours.
 */
export async function netInventory(ctx: NetContext, leases: readonly LeaseRef[], owner: string = ownerTag()): Promise<NetInventory> {
  const leasedTaps = new Set(leases.map((l) => l.tap))
  const [links, rules] = await Promise.all([listLinks(ctx), listVmRules(ctx)])
  const taps = links.filter((l) => vmIdOfTap(l.ifname) !== undefined)
  const othersTaps = new Set(taps.filter((t) => t.alias?.startsWith('bpvm:') && t.alias !== owner).map((t) => t.ifname))
  const state = (tap: string): Liveness => (leasedTaps.has(tap) ? 'live' : othersTaps.has(tap) ? 'other' : 'orphan')
  return {
    leases: leases.map((lease) => ({
      ...lease,
      state: 'live',
      tapPresent: taps.some((t) => t.ifname === lease.tap),
      rules: rules.filter((r) => r.tap === lease.tap).length
    })),
    taps: taps.map((t) => ({ name: t.ifname, up: t.up, state: state(t.ifname) })),
    rules: rules.map((r) => ({ tap: r.tap, kind: r.kind, chain: r.chain, handle: r.handle, state: state(r.tap) }))
  }
}

export interface CleanupReport {
  removedTaps: string[]
  /** TAPs whose rules were removed. */
  removedRulesOf: string[]
}

/**
 * Removes orphans only: TAPs and rules no lease holds. What a lease or another home holds is
 * never touched. `readLeases` is asked again just before each removal: a launch that leased
 * its subnet after the inventory was taken keeps its TAP and rules.
 */
export async function cleanupOrphans(ctx: NetContext, readLeases: () => Promise<readonly LeaseRef[]>, owner: string = ownerTag()): Promise<CleanupReport> {
  const inventory = await netInventory(ctx, await readLeases(), owner)
  const stillOrphan = async (tap: string): Promise<boolean> => !(await readLeases()).some((lease) => lease.tap === tap)
  const removedRulesOf: string[] = []
  for (const tap of new Set(inventory.rules.filter((r) => r.state === 'orphan' && r.kind !== 'foreign').map((r) => r.tap))) {
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
