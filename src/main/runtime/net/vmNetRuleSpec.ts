import ipaddr from 'ipaddr.js'
import { invalidInput } from '../../../shared/errors'
import type { NftListed, NftObject } from './nftCommand'
import { MAX_IFNAME, vmIdOfTap } from './netContext'

/** What our nftables rules look like: names, comments, expressions, and reading them back. */

export const TABLE = { family: 'inet', table: 'tangle_router' } as const
export const FORWARD_CHAIN = 'TANGLE_FORWARD'
export const NAT_CHAIN = 'TANGLE_NAT'
/** Destination NAT of a guest's connections to the host's loopback ports (made only when a VM has some). */
export const LOOPBACK_CHAIN = 'TANGLE_LOOPBACK'
/** Runs before it: drops anything a guest addresses to 127.0.0.0/8 itself. */
export const GUARD_CHAIN = 'TANGLE_GUARD'
export const OUR_CHAINS: readonly string[] = [FORWARD_CHAIN, NAT_CHAIN, LOOPBACK_CHAIN, GUARD_CHAIN]

export type VmRuleKind = 'established' | 'new' | 'masquerade' | 'loopback' | 'guard'
export const VM_RULE_KINDS: readonly VmRuleKind[] = ['established', 'new', 'masquerade', 'loopback', 'guard']
const LOOPBACK_KINDS: readonly VmRuleKind[] = ['loopback', 'guard']

/** The host's loopback the guest's connections to those ports of the gateway are sent to. */
export const HOST_LOOPBACK = '127.0.0.1'

/** Ports of the host's loopback the guest reaches at its gateway address, and only from its own address. */
export interface LoopbackForward {
  hostAddress: string
  guestAddress: string
  ports: number[]
}

/** A VM's link to the outside: its TAP, the host interface its traffic leaves by, and its own subnet. */
export interface VmRulesInput {
  tap: string
  egress: string
  /** The VM's /30 (or other IPv4 network), e.g. `172.30.0.4/30`. */
  subnet: string
  /** The host's loopback ports it may reach (its RPC node bound to 127.0.0.1); none when absent or empty. */
  loopback?: LoopbackForward
}

/** The rules a VM with this input has: always the three of its link, and the two of its loopback ports when it has any. */
export function kindsFor(input: VmRulesInput): VmRuleKind[] {
  return VM_RULE_KINDS.filter((kind) => !LOOPBACK_KINDS.includes(kind) || (input.loopback?.ports.length ?? 0) > 0)
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
  masquerade: 'NAT traffic from Blueprint VM',
  loopback: 'Forward host loopback ports to Blueprint VM',
  guard: 'Drop loopback-addressed traffic from Blueprint VM'
}
export const CHAIN_OF: Record<VmRuleKind, string> = { established: FORWARD_CHAIN, new: FORWARD_CHAIN, masquerade: NAT_CHAIN, loopback: LOOPBACK_CHAIN, guard: GUARD_CHAIN }

export const ruleComment = (tap: string, kind: VmRuleKind): string => `${COMMENT_TEXT[kind]}; ${tap}-${kind}`

/** The chains the rules of `kinds` live in: the loopback ones only when asked for (dstnat and, before it, mangle priority). */
export function chainObjects(kinds: readonly VmRuleKind[] = ['established', 'new', 'masquerade']): NftListed[] {
  return [
    { chain: { ...TABLE, name: FORWARD_CHAIN, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
    { chain: { ...TABLE, name: NAT_CHAIN, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
    ...(kinds.includes('loopback')
      ? [
          { chain: { ...TABLE, name: LOOPBACK_CHAIN, type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } },
          { chain: { ...TABLE, name: GUARD_CHAIN, type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } }
        ]
      : [])
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
  const subnet = checkSubnet(input.subnet)
  return { tap, egress, subnet, ...(input.loopback ? { loopback: checkLoopback(input.loopback) } : {}) }
}

function checkLoopback(loopback: LoopbackForward): LoopbackForward {
  for (const field of ['hostAddress', 'guestAddress'] as const) {
    if (typeof loopback[field] !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(loopback[field])) throw invalidInput(`loopback.${field}`, `expected an IPv4 address, got ${JSON.stringify(loopback[field])}`)
  }
  if (!Array.isArray(loopback.ports)) throw invalidInput('loopback.ports', 'must be a list of ports')
  for (const port of loopback.ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidInput('loopback.ports', `must be ports from 1 to 65535, got ${JSON.stringify(port)}`)
  }
  // nft lists a set sorted and without repeats: so is ours, to compare them exactly.
  return { hostAddress: loopback.hostAddress, guestAddress: loopback.guestAddress, ports: [...new Set(loopback.ports)].sort((a, b) => a - b) }
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

const payloadMatch = (protocol: 'ip' | 'tcp', field: string, right: unknown): NftObject => ({ match: { op: '==', left: { payload: { protocol, field } }, right } })

/** One port as nft prints it back, several as a set. */
const portsRight = (ports: readonly number[]): unknown => (ports.length === 1 ? ports[0] : { set: [...ports] })

/** The expressions of one rule, in the form `nft -j list` prints them back. */
export function ruleExpr(kind: VmRuleKind, { tap, egress, subnet, loopback }: VmRulesInput): NftObject[] {
  switch (kind) {
    case 'loopback':
      // Only the guest's own address, to the gateway, on exactly these ports: to the same port on the host's loopback.
      return [
        metaMatch('iifname', tap),
        payloadMatch('ip', 'saddr', loopback?.guestAddress),
        payloadMatch('ip', 'daddr', loopback?.hostAddress),
        payloadMatch('tcp', 'dport', portsRight(loopback?.ports ?? [])),
        { dnat: { family: 'ip', addr: HOST_LOOPBACK } }
      ]
    case 'guard':
      // route_localnet on the TAP lets 127.0.0.0/8 through; only what the rule above rewrote may reach it.
      return [metaMatch('iifname', tap), payloadMatch('ip', 'daddr', { prefix: { addr: '127.0.0.0', len: 8 } }), { drop: null }]
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

const COMMENT_PATTERN = /^(.*); (tap-tngl-\d+)-(established|new|masquerade|loopback|guard)$/

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

function egressOf(kind: 'established' | 'new' | 'masquerade', expr: unknown): string | undefined {
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
  const egress = ours.kind === 'loopback' || ours.kind === 'guard' ? undefined : egressOf(ours.kind, expr)
  const subnet = ours.kind === 'established' || ours.kind === 'loopback' || ours.kind === 'guard' ? undefined : subnetOf(expr)
  return { ...ours, chain, handle, ...(egress !== undefined ? { egress } : {}), ...(subnet !== undefined ? { subnet } : {}) }
}
