import { deleteLink, listLinks } from './ipCommand'
import { vmIdOfTap, type NetContext } from './netContext'
import { listVmRules, removeVmRules } from './vmNetRules'

/** What the inventory needs of a lease. */
export interface LeaseRef {
  id: number
  tap: string
  owner: string
  subnet: string
}

export type Liveness = 'live' | 'orphan'

export interface NetInventory {
  leases: Array<LeaseRef & { state: Liveness; tapPresent: boolean; rules: number }>
  taps: Array<{ name: string; up: boolean; state: Liveness }>
  rules: Array<{ tap: string; kind: string; chain: string; handle: number; state: Liveness }>
}

/**
 * Everything on the host that carries our names — TAPs `tap-tngl-<id>` and rules in our
 * table — each marked live (a lease holds it) or orphan (left by a crash or a killed process).
 */
export async function netInventory(ctx: NetContext, leases: readonly LeaseRef[]): Promise<NetInventory> {
  const leasedTaps = new Set(leases.map((l) => l.tap))
  const [links, rules] = await Promise.all([listLinks(ctx), listVmRules(ctx)])
  const taps = links.filter((l) => vmIdOfTap(l.ifname) !== undefined)
  const state = (tap: string): Liveness => (leasedTaps.has(tap) ? 'live' : 'orphan')
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

/** Removes orphans only: TAPs and rules no lease holds. What a lease holds is never touched. */
export async function cleanupOrphans(ctx: NetContext, leases: readonly LeaseRef[]): Promise<CleanupReport> {
  const inventory = await netInventory(ctx, leases)
  const orphanRuleTaps = [...new Set(inventory.rules.filter((r) => r.state === 'orphan' && r.kind !== 'foreign').map((r) => r.tap))]
  for (const tap of orphanRuleTaps) await removeVmRules(ctx, tap)
  const orphanTaps = inventory.taps.filter((t) => t.state === 'orphan').map((t) => t.name)
  const removedTaps: string[] = []
  for (const tap of orphanTaps) if (await deleteLink(ctx, tap)) removedTaps.push(tap)
  return { removedTaps, removedRulesOf: orphanRuleTaps }
}
