import ipaddr from 'ipaddr.js'
import { invalidInput } from '../errors'
import type { NftListed, NftObject } from './nftCommand'
import { MAX_IFNAME, vmIdOfTap } from './netContext'

/** What our nftables rules look like: names, comments, expressions, and reading them back. */

export const TABLE = { family: 'inet', table: 'tangle_router' } as const
export const FORWARD_CHAIN = 'TANGLE_FORWARD'
export const NAT_CHAIN = 'TANGLE_NAT'

export type VmRuleKind = 'established' | 'new' | 'masquerade'
export const VM_RULE_KINDS: readonly VmRuleKind[] = ['established', 'new', 'masquerade']

/** A VM's link to the outside: its TAP, the host interface its traffic leaves by, and its own subnet. */
export interface VmRulesInput {
  tap: string
  egress: string
  /** The VM's /30 (or other IPv4 network), e.g. `172.30.0.4/30`. */
  subnet: string
}

/** One rule in our table as read back; `foreign` rules carry our table's name but not our comment. */
export interface ListedRule {
  /** The VM's TAP; `''` for a foreign rule, which belongs to no VM. */
  tap: string
  kind: VmRuleKind | 'foreign'
  chain: string
  handle: number
  egress?: string
  subnet?: string
  /** A foreign rule's own comment, when it has one. */
  comment?: string
}

// The reference's comments, kept word for word so rules it left behind are recognised.
const COMMENT_TEXT: Record<VmRuleKind, string> = {
  established: 'Allow established traffic to Blueprint VM',
  new: 'Allow new traffic from Blueprint VM',
  masquerade: 'NAT traffic from Blueprint VM'
}
export const CHAIN_OF: Record<VmRuleKind, string> = { established: FORWARD_CHAIN, new: FORWARD_CHAIN, masquerade: NAT_CHAIN }

export const ruleComment = (tap: string, kind: VmRuleKind): string => `${COMMENT_TEXT[kind]}; ${tap}-${kind}`

export function chainObjects(): NftListed[] {
  return [
    { chain: { ...TABLE, name: FORWARD_CHAIN, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
    { chain: { ...TABLE, name: NAT_CHAIN, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } }
  ]
}

export function checkTap(tap: unknown): string {
  if (typeof tap !== 'string' || vmIdOfTap(tap) === undefined) {
    throw invalidInput('tap', `expected a TAP name like tap-tngl-7, got ${JSON.stringify(tap)}`)
  }
  return tap
}

/** Returns the input with a checked tap, egress and subnet; each error names its field. */
export function checkVmRulesInput(input: VmRulesInput): VmRulesInput {
  const tap = checkTap(input.tap)
  const egress: unknown = input.egress
  // Linux refuses '/', ':' and whitespace in names; nft reads a trailing '*' as a wildcard.
  if (typeof egress !== 'string' || egress.length < 1 || egress.length > MAX_IFNAME || /[/:*\s\0]/.test(egress) || egress === '.' || egress === '..') {
    throw invalidInput('egress', `expected a network interface name of 1–${MAX_IFNAME} characters without '/', ':', '*' or spaces, got ${JSON.stringify(egress)}`)
  }
  if (egress === tap) throw invalidInput('egress', `the egress interface cannot be the VM's own TAP ${tap}`)
  return { tap, egress, subnet: checkSubnet(input.subnet) }
}

function checkSubnet(subnet: unknown): string {
  const [address = '', prefixText = '', extra] = typeof subnet === 'string' ? subnet.split('/') : []
  // ipaddr.js alone would take octal and short forms (`10.1/8`) that nft reads differently.
  if (extra !== undefined || !ipaddr.IPv4.isValidFourPartDecimal(address) || !/^(0|[1-9]\d?)$/.test(prefixText)) {
    throw invalidInput('subnet', `expected an IPv4 network like 172.30.0.4/30, got ${JSON.stringify(subnet)}`)
  }
  const prefix = Number(prefixText)
  // /0 would masquerade every source; /31 and /32 leave no room for both a TAP and a guest address.
  if (prefix < 1 || prefix > 30) throw invalidInput('subnet', `prefix length must be from 1 to 30, got /${prefix}`)
  const network = ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`).toString()
  if (network !== address) throw invalidInput('subnet', `${address} is not the first address of its /${prefix}; did you mean ${network}/${prefix}?`)
  return `${address}/${prefix}`
}

const metaMatch = (key: 'iifname' | 'oifname', value: string): NftObject => ({ match: { op: '==', left: { meta: { key } }, right: value } })

function saddrMatch(subnet: string): NftObject {
  const [addr, len] = subnet.split('/')
  return { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr, len: Number(len) } } } }
}

/** The expressions of one rule, in the form `nft -j list` prints them back. */
export function ruleExpr(kind: VmRuleKind, { tap, egress, subnet }: VmRulesInput): NftObject[] {
  switch (kind) {
    case 'established':
      return [
        metaMatch('iifname', egress),
        metaMatch('oifname', tap),
        { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } },
        { accept: null }
      ]
    case 'new':
      return [metaMatch('iifname', tap), metaMatch('oifname', egress), saddrMatch(subnet), { accept: null }]
    case 'masquerade':
      return [metaMatch('oifname', egress), saddrMatch(subnet), { masquerade: null }]
  }
}

export function ruleObject(kind: VmRuleKind, input: VmRulesInput): NftListed {
  return { rule: { ...TABLE, chain: CHAIN_OF[kind], comment: ruleComment(input.tap, kind), expr: ruleExpr(kind, input) } }
}

const COMMENT_PATTERN = /^(.*); (tap-tngl-\d+)-(established|new|masquerade)$/

/** Which VM and kind a comment names, or undefined when the comment is not exactly one of ours. */
export function parseComment(comment: unknown): { tap: string; kind: VmRuleKind } | undefined {
  if (typeof comment !== 'string') return undefined
  const match = COMMENT_PATTERN.exec(comment)
  if (!match) return undefined
  const [, text, tap = '', kind] = match
  if (vmIdOfTap(tap) === undefined || !VM_RULE_KINDS.includes(kind as VmRuleKind)) return undefined
  return COMMENT_TEXT[kind as VmRuleKind] === text ? { tap, kind: kind as VmRuleKind } : undefined
}

/** The value one `match` compares against, for a left side that satisfies `isLeft`. */
function matched(expr: unknown, isLeft: (left: Record<string, Record<string, unknown>>) => boolean): unknown {
  if (!Array.isArray(expr)) return undefined
  for (const item of expr as { match?: { op?: unknown; left?: unknown; right?: unknown } }[]) {
    const m = item?.match
    if (m && m.op === '==' && typeof m.left === 'object' && m.left !== null && isLeft(m.left as Record<string, Record<string, unknown>>)) return m.right
  }
  return undefined
}

function egressOf(kind: VmRuleKind, expr: unknown): string | undefined {
  const key = kind === 'established' ? 'iifname' : 'oifname'
  const value = matched(expr, (left) => left.meta?.key === key)
  return typeof value === 'string' ? value : undefined
}

function subnetOf(expr: unknown): string | undefined {
  const value = matched(expr, (left) => left.payload?.protocol === 'ip' && left.payload.field === 'saddr') as { prefix?: { addr?: unknown; len?: unknown } } | undefined
  const prefix = value?.prefix
  return typeof prefix?.addr === 'string' && typeof prefix.len === 'number' ? `${prefix.addr}/${prefix.len}` : undefined
}

/** Reads one listed rule back: ours by its exact comment, anything else in the table as foreign. */
export function parseRule(rule: NftObject): ListedRule | undefined {
  const { chain, handle, comment, expr } = rule
  if (typeof chain !== 'string' || typeof handle !== 'number') return undefined
  const ours = parseComment(comment)
  if (!ours) return { tap: '', kind: 'foreign', chain, handle, ...(typeof comment === 'string' ? { comment } : {}) }
  const egress = egressOf(ours.kind, expr)
  const subnet = ours.kind === 'established' ? undefined : subnetOf(expr)
  return { ...ours, chain, handle, ...(egress !== undefined ? { egress } : {}), ...(subnet !== undefined ? { subnet } : {}) }
}
