import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { appDirs } from '../appDirs'
import { withFileLock } from '../state/fileLock'
import { applyNft, listNftTable, type NftCommand } from './nftCommand'
import type { NetContext } from './netContext'
import { writeSysctl } from './ipCommand'
import {
  CHAIN_OF,
  OUR_CHAINS,
  TABLE,
  checkTap,
  checkVmRulesInput,
  chainObjects,
  kindsFor,
  parseRule,
  ruleExpr,
  ruleObject,
  type ListedRule,
  type VmRulesInput
} from './vmNetRuleSpec'

export type { ListedRule, LoopbackForward, VmRuleKind, VmRulesInput } from './vmNetRuleSpec'

/**
 * Per-VM forwarding and masquerade rules in `inet tangle_router`. Each VM's rules match its
 * own subnet and are found again by their exact comment, never by a substring of it.
 */

// Each change lists the table and then edits it by handle; two changes interleaving could
// delete the table under a rule just added. Changes per namespace queue up in this process,
// and hold a lock file shared with other processes (the app and the CLI).
const queues = new Map<string, Promise<void>>()

async function crossProcess<T>(ctx: NetContext, work: () => Promise<T>): Promise<T> {
  const stateDir = appDirs().state
  await mkdir(stateDir, { recursive: true, mode: 0o700 })
  return withFileLock(join(stateDir, ctx.netns ? `nftables-${ctx.netns}.lock` : 'nftables.lock'), work)
}

function queued<T>(ctx: NetContext, work: () => Promise<T>): Promise<T> {
  const key = ctx.netns ?? ''
  const result = (queues.get(key) ?? Promise.resolve()).then(() => crossProcess(ctx, work))
  const tail = result.then(
    () => undefined,
    () => undefined
  )
  queues.set(key, tail)
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key)
  })
  return result
}

interface TableState {
  exists: boolean
  rules: ListedRule[]
  /** Anything besides our two chains and rules (other chains, sets, maps): keeps the table alive. */
  hasOtherObjects: boolean
  /** Raw rule bodies by handle, to compare expressions exactly. */
  rawRules: Map<number, Record<string, unknown>>
}

async function readTable(ctx: NetContext): Promise<TableState> {
  const listed = await listNftTable(ctx, TABLE.family, TABLE.table)
  const state: TableState = { exists: false, rules: [], hasOtherObjects: false, rawRules: new Map() }
  for (const entry of listed) {
    if (entry.table) state.exists = true
    else if (entry.rule) {
      const rule = parseRule(entry.rule)
      if (rule) {
        state.rules.push(rule)
        state.rawRules.set(rule.handle, entry.rule)
      }
    } else if (!(entry.chain && OUR_CHAINS.includes(String(entry.chain.name)))) {
      state.hasOtherObjects = true
    }
  }
  return state
}

const deleteRule = (rule: ListedRule): NftCommand => ({ delete: { rule: { ...TABLE, chain: rule.chain, handle: rule.handle } } })
const addTable = (): NftCommand => ({ add: { table: { family: TABLE.family, name: TABLE.table } } })
const deleteTable = (): NftCommand => ({ delete: { table: { family: TABLE.family, name: TABLE.table } } })

/** Whether this tap already has exactly the rules the input asks for, nothing more. */
function alreadyInPlace(state: TableState, input: VmRulesInput): boolean {
  const mine = state.rules.filter((rule) => rule.tap === input.tap)
  const kinds = kindsFor(input)
  if (mine.length !== kinds.length) return false
  return kinds.every((kind) => {
    const rule = mine.find((r) => r.kind === kind)
    const raw = rule && state.rawRules.get(rule.handle)
    return rule !== undefined && rule.chain === CHAIN_OF[kind] && raw !== undefined && isDeepStrictEqual(raw.expr, ruleExpr(kind, input))
  })
}

/**
 * Lets the VM behind `tap` reach the outside through `egress`, masqueraded, and the host's
 * loopback ports it is given at its gateway address. Creates the table and chains when missing;
 * a tap that already has rules for another egress, subnet or ports gets them replaced, in the
 * same transaction, so it never has two sets.
 */
export async function addVmRules(ctx: NetContext, input: VmRulesInput): Promise<void> {
  const checked = checkVmRulesInput(input)
  const kinds = kindsFor(checked)
  // The kernel routes to 127.0.0.0/8 from this TAP only with route_localnet, scoped to it (it goes with the TAP).
  if (kinds.includes('loopback')) await writeSysctl(ctx, `net/ipv4/conf/${checked.tap}/route_localnet`, '1')
  await queued(ctx, async () => {
    const state = await readTable(ctx)
    if (alreadyInPlace(state, checked)) return
    const stale = state.rules.filter((rule) => rule.tap === checked.tap)
    const batch: NftCommand[] = [
      addTable(),
      ...chainObjects(kinds).map((chain): NftCommand => ({ add: chain })),
      ...stale.map(deleteRule),
      ...kinds.map((kind): NftCommand => ({ add: ruleObject(kind, checked) }))
    ]
    await applyNft(ctx, batch)
  })
}

/**
 * Deletes exactly this tap's rules, by handle. The table goes too once nothing else lives in it;
 * rules that are already gone are not an error.
 */
export async function removeVmRules(ctx: NetContext, tap: string): Promise<void> {
  const checkedTap = checkTap(tap)
  await queued(ctx, async () => {
    const state = await readTable(ctx)
    if (!state.exists) return
    const mine = state.rules.filter((rule) => rule.tap === checkedTap)
    const emptyAfter = state.rules.length === mine.length && !state.hasOtherObjects
    // Deleting the table takes its chains and rules with it.
    const batch = emptyAfter ? [deleteTable()] : mine.map(deleteRule)
    await applyNft(ctx, batch)
  })
}

/** Every rule in our table: ours by tap and kind, anything else as `foreign`. */
export async function listVmRules(ctx: NetContext): Promise<ListedRule[]> {
  // Reading needs no lock: nft lists a consistent snapshot.
  return (await readTable(ctx)).rules
}

/** Full cleanup: deletes the whole table, foreign rules included; quiet when it is absent. */
export async function removeAllVmRules(ctx: NetContext): Promise<void> {
  // Adding first makes the delete succeed whether or not the table existed, in one transaction.
  await queued(ctx, () => applyNft(ctx, [addTable(), deleteTable()]))
}
