import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { appDirs } from '../appDirs'
import { readNetworkSettings } from '../settings/networkSettings'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { withFileLock } from '../state/fileLock'
import { occupiedCidrs } from './ipCommand'
import { readLeaseFile, writeLeaseFile, type Lease } from './leaseFile'
import { HOST_NET, MAX_VM_ID, tapName, type NetContext } from './netContext'
import { DEFAULT_POOL, firstFreeSubnet, parsePool, poolExhausted, type SubnetPool } from './subnetPool'

export type { Lease } from './leaseFile'

export const LEASE_FILE = 'leases.json'
export const LEASE_LOCK = 'leases.lock'

export interface LeaseStoreOptions {
  /** Where `leases.json` lives; defaults to the app's state directory. */
  stateDir?: string
  /** The pool to take subnets from; defaults to 172.30.0.0/16. */
  pool?: string
  /** The host's address and route CIDRs; defaults to reading them with `ip` in `net`. */
  occupied?: () => Promise<string[]>
  net?: NetContext
  lockTimeoutMs?: number
  /** Highest id to hand out; at most MAX_VM_ID (lower only to test running out). */
  maxId?: number
  now?: () => Date
}

/**
 * VM leases (id, TAP name, /30), shared by every process on the host through one state file:
 * each change happens under a file lock and is written atomically, so the app and the CLI
 * never hand out the same id or subnet.
 */
export class LeaseStore {
  readonly file: string
  readonly lockFile: string
  readonly pool: SubnetPool
  private readonly stateDir: string
  private readonly occupied: () => Promise<string[]>
  private readonly lockTimeoutMs: number | undefined
  private readonly maxId: number
  private readonly now: () => Date

  constructor(options: LeaseStoreOptions = {}) {
    this.stateDir = options.stateDir ?? appDirs().state
    this.file = join(this.stateDir, LEASE_FILE)
    this.lockFile = join(this.stateDir, LEASE_LOCK)
    this.pool = parsePool(options.pool ?? DEFAULT_POOL, 'network pool')
    const net = options.net ?? HOST_NET
    this.occupied = options.occupied ?? (() => occupiedCidrs(net))
    this.lockTimeoutMs = options.lockTimeoutMs
    this.maxId = options.maxId ?? MAX_VM_ID
    if (!Number.isInteger(this.maxId) || this.maxId < 1 || this.maxId > MAX_VM_ID) throw new RangeError(`maxId must be from 1 to ${MAX_VM_ID}`)
    this.now = options.now ?? (() => new Date())
  }

  /** A store on the pool the network settings name (unless `options.pool` overrides it). */
  static async open(options: LeaseStoreOptions = {}): Promise<LeaseStore> {
    if (options.pool !== undefined) return new LeaseStore(options)
    const { pool } = await readNetworkSettings(options.stateDir)
    return new LeaseStore({ ...options, pool })
  }

  /** Every lease, by id. Needs no lock: the file is only ever replaced whole. */
  async list(): Promise<Lease[]> {
    return readLeaseFile(this.file)
  }

  /** Leases the lowest free id and the first free /30 to `owner`, which must not hold one already. */
  async allocate(owner: string): Promise<Lease> {
    if (typeof owner !== 'string' || owner === '' || /\p{Cc}/u.test(owner)) {
      throw invalidInput('owner', `expected an instance name, got ${JSON.stringify(owner)}`)
    }
    return this.locked(async () => {
      const leases = await readLeaseFile(this.file)
      const held = leases.find((l) => l.owner === owner)
      if (held) {
        throw new BpvmError('LEASE_EXISTS', `${owner} already holds lease ${held.id} (${held.subnet} on ${held.tap}); release it first`, {
          owner,
          id: held.id
        })
      }
      const id = this.lowestFreeId(leases)
      // Asked on every allocation: VPNs, containers and other tools add addresses and routes at any time.
      const occupied = await this.occupied()
      const taken = leases.map((l) => l.subnet)
      const subnet = firstFreeSubnet(this.pool, taken, occupied)
      if (!subnet) throw poolExhausted(this.pool, taken, occupied)
      const lease: Lease = { id, tap: tapName(id), ...subnet, owner, pool: this.pool.cidr, createdAt: this.now().toISOString() }
      await writeLeaseFile(this.file, [...leases, lease])
      return lease
    })
  }

  /** Returns a lease (by VM id or owner) to the pool; a lease that is not there is not an error. */
  async release(idOrOwner: number | string): Promise<Lease | undefined> {
    return this.locked(async () => {
      const leases = await readLeaseFile(this.file)
      const lease = leases.find((l) => (typeof idOrOwner === 'number' ? l.id === idOrOwner : l.owner === idOrOwner))
      if (lease) await writeLeaseFile(this.file, leases.filter((l) => l !== lease))
      return lease
    })
  }

  private lowestFreeId(leases: readonly Lease[]): number {
    const used = new Set(leases.map((l) => l.id))
    for (let id = 1; id <= this.maxId; id++) if (!used.has(id)) return id
    throw new BpvmError('POOL_EXHAUSTED', `all ${this.maxId} VM ids are leased (each VM's TAP is named tap-tngl-<id>); stop a VM first`, {
      maxId: this.maxId,
      leased: leases.length
    })
  }

  private async locked<T>(body: () => Promise<T>): Promise<T> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 })
    return withFileLock(this.lockFile, body, this.lockTimeoutMs === undefined ? {} : { timeoutMs: this.lockTimeoutMs })
  }
}
