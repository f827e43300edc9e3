import { z } from 'zod'
import { BpvmError } from '../../../shared/errors'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { cidrRange, parseIpv4Cidr } from './ipv4'
import { MAX_VM_ID, tapName } from './netContext'
import { subnetAt, SUBNET_PREFIX } from './subnetPool'

/** One VM's share of the host network: its id, its TAP and its own /30. */
export interface Lease {
  /** VM id, 1 to MAX_VM_ID, so `tap-tngl-<id>` fits Linux's 15-character interface names. */
  id: number
  tap: string
  /** `a.b.c.d/30` */
  subnet: string
  /** The TAP's address: the guest's gateway. */
  hostAddress: string
  guestAddress: string
  prefix: typeof SUBNET_PREFIX
  /** The instance holding the lease; unique. */
  owner: string
  /** The pool the subnet was taken from. */
  pool: string
  /** ISO 8601. */
  createdAt: string
}

const leaseSchema = z.object({
  id: z.number().int().min(1).max(MAX_VM_ID),
  tap: z.string(),
  subnet: z.string(),
  hostAddress: z.string(),
  guestAddress: z.string(),
  prefix: z.literal(SUBNET_PREFIX),
  owner: z.string().min(1),
  pool: z.string(),
  createdAt: z.string()
})

const fileSchema = z.object({ version: z.literal(1), leases: z.array(leaseSchema) })

/** What makes a set of leases unusable, or undefined when they are consistent. */
function inconsistency(leases: readonly Lease[]): string | undefined {
  const ids = new Set<number>()
  const owners = new Set<string>()
  const ranges: Array<{ id: number; first: number; last: number }> = []
  for (const lease of leases) {
    if (lease.tap !== tapName(lease.id)) return `lease ${lease.id} names TAP ${lease.tap}, expected ${tapName(lease.id)}`
    const cidr = parseIpv4Cidr(lease.subnet)
    const range = cidr?.prefix === SUBNET_PREFIX ? cidrRange(cidr) : undefined
    const expected = range ? subnetAt(range.first) : undefined
    if (!range || expected?.subnet !== lease.subnet || expected.hostAddress !== lease.hostAddress || expected.guestAddress !== lease.guestAddress) {
      return `lease ${lease.id} has subnet ${lease.subnet} with host ${lease.hostAddress} and guest ${lease.guestAddress}, which do not form a /30`
    }
    if (ids.has(lease.id)) return `lease id ${lease.id} appears twice`
    if (owners.has(lease.owner)) return `${lease.owner} holds two leases`
    ids.add(lease.id)
    owners.add(lease.owner)
    ranges.push({ id: lease.id, ...range })
  }
  // All are /30s: after sorting, any overlap shows between neighbours.
  ranges.sort((a, b) => a.first - b.first)
  for (const [i, range] of ranges.entries()) {
    const previous = ranges[i - 1]
    if (previous && range.first <= previous.last) return `leases ${previous.id} and ${range.id} have the same subnet`
  }
  return undefined
}

function corrupt(file: string, reason: string): BpvmError {
  return new BpvmError(
    'STATE_CORRUPT',
    `the lease file ${file} is unreadable (${reason}); it is left as it is, since resetting it would lose the VMs' leases: ` +
      'repair it, or move it aside once no VM is running',
    { file }
  )
}

/** The leases in `file`, `[]` when it does not exist yet; a damaged file is an error, never reset. */
export async function readLeaseFile(file: string): Promise<Lease[]> {
  const text = await readTextIfExists(file)
  if (text === undefined) return []
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw corrupt(file, `not JSON: ${(error as Error).message}`)
  }
  const parsed = fileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw corrupt(file, issue ? `${issue.path.join('.') || 'top level'}: ${issue.message}` : 'unexpected content')
  }
  const problem = inconsistency(parsed.data.leases)
  if (problem) throw corrupt(file, problem)
  return parsed.data.leases
}

export async function writeLeaseFile(file: string, leases: readonly Lease[]): Promise<void> {
  await writeJsonAtomic(file, { version: 1, leases: [...leases].sort((a, b) => a.id - b.id) })
}
