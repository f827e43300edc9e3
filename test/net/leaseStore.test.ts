import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LeaseStore, type LeaseStoreOptions } from '../../src/main/runtime/net/leaseStore'
import { MAX_IFNAME, MAX_VM_ID } from '../../src/main/runtime/net/netContext'
import { overlaps } from '../../src/main/runtime/net/subnetPool'
import { bpvmFailure } from '../support/bpvmFailure'
import { useTempDirs } from '../support/tempDirs'

const tempDir = useTempDirs('bpvm-leases-')
const noHostNetworks = async (): Promise<string[]> => []
const fixedTime = () => new Date('2025-01-02T03:04:05.000Z')

async function store(options: LeaseStoreOptions = {}): Promise<LeaseStore> {
  return new LeaseStore({ stateDir: options.stateDir ?? (await tempDir()), occupied: noHostNetworks, now: fixedTime, ...options })
}

const failure = bpvmFailure

/** What the first allocation of a fresh store gives 'web' (the clock is fixed). */
const firstLease = {
    id: 1,
    tap: 'tap-tngl-1',
    subnet: '172.30.0.0/30',
    hostAddress: '172.30.0.1',
    guestAddress: '172.30.0.2',
    prefix: 30,
    owner: 'web',
    pool: '172.30.0.0/16',
    createdAt: '2025-01-02T03:04:05.000Z'
  }

describe('LeaseStore', () => {
  it('hands out ids from 1 and /30s from the start of the pool', async () => {
    const leases = await store()
    expect(await leases.allocate('web')).toEqual(firstLease)
    expect(await leases.allocate('db')).toMatchObject({ id: 2, tap: 'tap-tngl-2', subnet: '172.30.0.4/30', hostAddress: '172.30.0.5' })
  })

  it('keeps leases across a restart: a new store on the same directory sees them and continues', async () => {
    const stateDir = await tempDir()
    const first = await store({ stateDir })
    const web = await first.allocate('web')
    const db = await first.allocate('db')
    const again = await store({ stateDir })
    expect(await again.list()).toEqual([web, db])
    expect(await again.allocate('cache')).toMatchObject({ id: 3, subnet: '172.30.0.8/30' })
    // Only the state file is left behind: no lock, no temp file.
    expect((await readdir(stateDir)).sort()).toEqual(['leases.json'])
  })

  it('uses the state directory under BPVM_HOME by default', async () => {
    const home = await tempDir()
    const previous = process.env.BPVM_HOME
    process.env.BPVM_HOME = home
    try {
      const leases = new LeaseStore({ occupied: noHostNetworks })
      await leases.allocate('web')
      expect(leases.file).toBe(join(home, 'state', 'leases.json'))
      expect(JSON.parse(await readFile(leases.file, 'utf8'))).toMatchObject({ version: 1, leases: [{ owner: 'web' }] })
    } finally {
      if (previous === undefined) delete process.env.BPVM_HOME
      else process.env.BPVM_HOME = previous
    }
  })

  it('release returns the id and subnet to the pool, by id or owner, and is quiet when absent', async () => {
    const leases = await store()
    await leases.allocate('a')
    await leases.allocate('b')
    await leases.allocate('c')
    expect((await leases.release(2))?.owner).toBe('b')
    expect((await leases.release('a'))?.id).toBe(1)
    expect(await leases.release('a')).toBeUndefined()
    expect(await leases.release(99)).toBeUndefined()
    expect(await leases.allocate('d')).toMatchObject({ id: 1, subnet: '172.30.0.0/30' })
    expect(await leases.allocate('e')).toMatchObject({ id: 2, subnet: '172.30.0.4/30' })
    expect((await leases.list()).map((l) => l.owner)).toEqual(['d', 'e', 'c'])
  })

  it('release on a store that never leased anything creates nothing', async () => {
    const stateDir = await tempDir()
    expect(await (await store({ stateDir })).release('ghost')).toBeUndefined()
    expect(await readdir(stateDir)).toEqual([])
  })

  it('refuses a second lease for the same owner, and an empty owner', async () => {
    const leases = await store()
    await leases.allocate('web')
    const error = await failure(leases.allocate('web'))
    expect(error.code).toBe('LEASE_EXISTS')
    expect(error.message).toBe('web already holds lease 1 (172.30.0.0/30 on tap-tngl-1); release it first')
    expect((await failure(leases.allocate(''))).code).toBe('INVALID_INPUT')
    expect(await leases.list()).toHaveLength(1)
  })

  it('asks for the host networks at every allocation and never hands out a subnet in use there', async () => {
    // The address in the second answer is gone by the third: its /30 is free again.
    const answers = [[], ['172.30.0.6/32'], ['172.30.0.12/30', 'default']]
    let calls = 0
    const leases = await store({ occupied: async () => answers[calls++] ?? [] })
    expect((await leases.allocate('a')).subnet).toBe('172.30.0.0/30')
    expect((await leases.allocate('b')).subnet).toBe('172.30.0.8/30')
    expect((await leases.allocate('c')).subnet).toBe('172.30.0.4/30')
    expect((await leases.allocate('d')).subnet).toBe('172.30.0.12/30')
    expect(calls).toBe(4)
  })

  it('reports exhaustion with the pool, its size, what is leased and what the host blocks', async () => {
    const leases = await store({ pool: '10.20.0.0/28', occupied: async () => ['10.20.0.8/31', '192.168.1.10/24'] })
    for (const owner of ['a', 'b', 'c']) await leases.allocate(owner)
    const error = await failure(leases.allocate('d'))
    expect(error.code).toBe('POOL_EXHAUSTED')
    expect(error.message).toBe(
      "no free /30 subnet in the network pool 10.20.0.0/28: it holds 4, 3 are leased to VMs and 1 overlap this host's own addresses or routes; " +
        'stop a VM or configure a larger pool'
    )
    expect(error.details).toMatchObject({ pool: '10.20.0.0/28', subnets: 4, leased: 3, blockedByHost: 1 })
  })

  it('refuses a bad pool naming the field', async () => {
    expect(() => new LeaseStore({ stateDir: '/nonexistent', pool: '10.0.0.1/24' })).toThrow(
      'network pool: 10.0.0.1/24 has host bits set; did you mean 10.0.0.0/24?'
    )
  })

  it('keeps ids within what a TAP name can carry', async () => {
    expect(`tap-tngl-${MAX_VM_ID}`).toHaveLength(MAX_IFNAME)
    const leases = await store({ maxId: 3 })
    for (const owner of ['a', 'b', 'c']) await leases.allocate(owner)
    const error = await failure(leases.allocate('d'))
    expect(error.code).toBe('POOL_EXHAUSTED')
    expect(error.message).toMatch(/^all 3 VM ids are leased/)
    expect(() => new LeaseStore({ stateDir: '/nonexistent', maxId: MAX_VM_ID + 1 })).toThrow(RangeError)
  })

  it('fills the lowest free id even when the highest one is taken', async () => {
    const stateDir = await tempDir()
    const high = { id: MAX_VM_ID, tap: `tap-tngl-${MAX_VM_ID}`, subnet: '172.30.0.0/30', hostAddress: '172.30.0.1', guestAddress: '172.30.0.2' }
    const lease = { ...high, prefix: 30, owner: 'old', pool: '172.30.0.0/16', createdAt: '2024-01-01T00:00:00.000Z' }
    await writeFile(join(stateDir, 'leases.json'), JSON.stringify({ version: 1, leases: [lease] }))
    const next = await (await store({ stateDir })).allocate('new')
    expect(next).toMatchObject({ id: 1, tap: 'tap-tngl-1', subnet: '172.30.0.4/30' })
    expect(next.tap.length).toBeLessThanOrEqual(MAX_IFNAME)
  })

  it('gives concurrent allocations in one process distinct ids and subnets', async () => {
    const leases = await store()
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => leases.allocate(`vm-${i}`)))
    expect(new Set(all.map((l) => l.id)).size).toBe(20)
    for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(overlaps(a.subnet, b.subnet)).toBe(false)
    expect(await leases.list()).toHaveLength(20)
  })
})

describe('a damaged lease file', () => {
  const lease = firstLease

  it.each([
    ['not JSON', '{"version": 1, "leases": [', /not JSON/],
    ['empty', '', /not JSON/],
    ['wrong shape', JSON.stringify({ version: 1, leases: [{ ...lease, id: 'one' }] }), /leases\.0\.id/],
    ['an id past the TAP limit', JSON.stringify({ version: 1, leases: [{ ...lease, id: MAX_VM_ID + 1 }] }), /leases\.0\.id/],
    ['a TAP that does not match its id', JSON.stringify({ version: 1, leases: [{ ...lease, tap: 'tap-tngl-2' }] }), /names TAP tap-tngl-2/],
    ['a subnet that is not a /30', JSON.stringify({ version: 1, leases: [{ ...lease, subnet: '172.30.0.1/30' }] }), /do not form a \/30/],
    ['two overlapping leases', JSON.stringify({ version: 1, leases: [lease, { ...lease, id: 2, tap: 'tap-tngl-2', owner: 'db' }] }), /same subnet/],
    ['an owner twice', JSON.stringify({ version: 1, leases: [lease, { ...lease, id: 2, tap: 'tap-tngl-2', subnet: '172.30.0.4/30', hostAddress: '172.30.0.5', guestAddress: '172.30.0.6' }] }), /two leases/]
  ])('(%s) is an error naming the file, and is left untouched', async (_, text, reason) => {
    const stateDir = await tempDir()
    const file = join(stateDir, 'leases.json')
    await writeFile(file, text)
    const leases = await store({ stateDir })
    for (const attempt of [() => leases.list(), () => leases.allocate('new'), () => leases.release('web')]) {
      const error = await failure(attempt())
      expect(error.code).toBe('STATE_CORRUPT')
      expect(error.message).toContain(file)
      expect(error.message).toMatch(reason)
      expect(error.details).toEqual({ file })
    }
    expect(await readFile(file, 'utf8')).toBe(text)
  })
})
