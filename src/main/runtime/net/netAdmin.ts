import { readFile } from 'node:fs/promises'
import { BpvmError } from '../../../shared/errors'

/** CAP_NET_ADMIN's bit in the capability sets of /proc/<pid>/status. */
const CAP_NET_ADMIN = 12n

/** Whether the effective capabilities in a /proc status text include CAP_NET_ADMIN. */
export function statusHasNetAdmin(statusText: string): boolean {
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText)
  if (!match) return false
  return ((BigInt(`0x${match[1]}`) >> CAP_NET_ADMIN) & 1n) === 1n
}

export async function hasNetAdmin(statusPath = '/proc/self/status'): Promise<boolean> {
  return statusHasNetAdmin(await readFile(statusPath, 'utf8'))
}

/**
 * The error for work that needs CAP_NET_ADMIN, saying how to get it. The capability must reach
 * `ip` and `nft`, which bpvm runs as separate programs: a file capability on bpvm's own
 * runtime would not be passed on to them.
 */
export function netAdminRequired(what: string): BpvmError {
  return new BpvmError(
    'NET_ADMIN_REQUIRED',
    `${what} needs the CAP_NET_ADMIN capability: run bpvm as root, or grant it to the programs bpvm runs ` +
      `(sudo setcap cap_net_admin+ep "$(command -v ip)" "$(command -v nft)")`,
    { capability: 'CAP_NET_ADMIN' }
  )
}

/** Fails early, before any change, when this process cannot manage networking. */
export async function requireNetAdmin(what = 'Managing VM networking (TAP devices, nftables rules)'): Promise<void> {
  if (!(await hasNetAdmin())) throw netAdminRequired(what)
}
