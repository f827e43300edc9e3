import { ExecaError, execa } from 'execa'
import { netAdminRequired } from './netAdmin'
import { BpvmError, invalidInput } from '../../../shared/errors'
import type { NetContext } from './netContext'

/** The only door to `nft`: JSON in and out, with nft's stderr carried into the error. */

/** One object of nft's JSON schema, e.g. the body of `{ "rule": { ... } }`; callers narrow it. */
export type NftObject = Record<string, unknown>

/** One entry of `nft -j list` output: `{ table: {...} }`, `{ chain: {...} }`, `{ rule: {...} }`, ... */
export type NftListed = Record<string, NftObject>

/** One command of a JSON batch; the batch is applied all or nothing. */
export type NftCommand = { add: NftListed } | { delete: NftListed } | { flush: NftListed }

const TIMEOUT_MS = 30_000

// nft joins its arguments into one command line and parses that, so a name must be a bare word.
const NFT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
// `ip netns` keeps namespaces as files under /run/netns; a leading dash would read as an option.
const NETNS_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/

/** What a failed run looked like, as far as the error wording is concerned. */
export interface NftFailure {
  /** The spawn error code, e.g. `ENOENT` when the program itself is missing. */
  code?: string
  stderr: string
  exitCode?: number
  timedOut?: boolean
}

/** Maps a failed run to the error a user can act on. Exported so the wording is tested on real messages. */
export function nftError(ctx: NetContext, action: string, failure: NftFailure): BpvmError {
  const stderr = failure.stderr.trim()
  const details = { program: 'nft', action, exitCode: failure.exitCode, stderr, ...(ctx.netns ? { netns: ctx.netns } : {}) }
  if (failure.code === 'ENOENT' && ctx.netns !== undefined) {
    return new BpvmError('PROGRAM_NOT_FOUND', 'ip is not installed (install the iproute2 package)', { ...details, program: 'ip' })
  }
  // Without a namespace execa reports ENOENT; through `ip netns exec` the message comes from ip.
  if (failure.code === 'ENOENT' || /exec of "nft" failed: No such file or directory/.test(stderr)) {
    return new BpvmError('PROGRAM_NOT_FOUND', 'nft is not installed (install the nftables package)', details)
  }
  if (failure.code === 'EPERM' || /Operation not permitted/.test(stderr)) {
    const error = netAdminRequired(ctx.netns ? 'Changing firewall rules inside a network namespace' : 'Changing firewall rules')
    return new BpvmError(error.code, stderr ? `${error.message}. nft said: ${stderr}` : error.message, details)
  }
  const why = failure.timedOut ? `timed out after ${TIMEOUT_MS / 1000} s` : stderr || `exit code ${failure.exitCode ?? 'unknown'}`
  return new BpvmError('NFT_FAILED', `nft ${action} failed: ${why}`, details)
}

function commandLine(ctx: NetContext, args: string[]): [string, string[]] {
  if (ctx.netns === undefined) return ['nft', args]
  if (!NETNS_NAME.test(ctx.netns)) throw invalidInput('netns', `${JSON.stringify(ctx.netns)} is not a network namespace name`)
  return ['ip', ['netns', 'exec', ctx.netns, 'nft', ...args]]
}

async function nft(ctx: NetContext, action: string, args: string[]): Promise<string> {
  const [program, argv] = commandLine(ctx, args)
  try {
    const { stdout } = await execa(program, argv, { timeout: TIMEOUT_MS, stdin: 'ignore' })
    return stdout
  } catch (error) {
    if (!(error instanceof ExecaError)) throw error
    throw Object.assign(
      nftError(ctx, action, {
        code: error.code,
        stderr: String(error.stderr ?? '') || (error.code ? '' : error.shortMessage),
        exitCode: error.exitCode,
        timedOut: error.timedOut
      }),
      { cause: error }
    )
  }
}

function checkName(field: string, value: string): void {
  if (!NFT_NAME.test(value)) throw invalidInput(field, `${JSON.stringify(value)} is not an nftables name`)
}

/**
 * Everything in one table (table, chains, rules, sets), in nft's JSON schema. A table that
 * does not exist lists as `[]`: for callers that is "no rules", not a failure.
 */
export async function listNftTable(ctx: NetContext, family: string, table: string): Promise<NftListed[]> {
  checkName('family', family)
  checkName('table', table)
  let stdout: string
  try {
    stdout = await nft(ctx, 'list table', ['-j', 'list', 'table', family, table])
  } catch (error) {
    const stderr = error instanceof BpvmError ? String(error.details?.stderr ?? '') : ''
    if (error instanceof BpvmError && error.code === 'NFT_FAILED' && /^Error: No such file or directory/m.test(stderr)) return []
    throw error
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(stdout)
  } catch {
    throw new BpvmError('NFT_FAILED', `nft list table printed something that is not JSON: ${stdout.slice(0, 200)}`, { program: 'nft' })
  }
  const entries = (parsed as { nftables?: unknown } | null)?.nftables
  if (!Array.isArray(entries)) throw new BpvmError('NFT_FAILED', 'nft list table printed JSON without an "nftables" array', { program: 'nft' })
  return entries.filter(
    (entry): entry is NftListed => typeof entry === 'object' && entry !== null && !Array.isArray(entry) && !('metainfo' in entry)
  )
}

/** Applies a batch in one transaction: either every command takes effect or none does. */
export async function applyNft(ctx: NetContext, commands: readonly NftCommand[]): Promise<void> {
  if (commands.length === 0) return
  // Not `-f -`: nft 1.0.6 (Debian 12) opens /dev/stdin for it, which fails on the socket Node
  // gives a child as stdin. One argument holds up to 128 KiB, far more than a batch of a few VMs' rules.
  await nft(ctx, 'apply', ['-j', JSON.stringify({ nftables: commands })])
}
