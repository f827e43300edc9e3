import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LeaseStore } from '../../src/main/runtime/net/leaseStore'
import { overlaps } from '../../src/main/runtime/net/subnetPool'
import { allocateInChild } from '../support/leaseChildRunner'
import { useTempDirs } from '../support/tempDirs'

const tempDir = useTempDirs('bpvm-race-')

describe('two processes allocating at once', () => {
  it('hand out 200 distinct ids and non-overlapping subnets, all persisted', async () => {
    const stateDir = await tempDir()
    // Start together once both have loaded, so their allocations interleave.
    const startAt = Date.now() + 3_000
    const [a, b] = await Promise.all([allocateInChild(stateDir, 100, 'a', startAt), allocateInChild(stateDir, 100, 'b', startAt)])
    expect(a.error).toBeUndefined()
    expect(b.error).toBeUndefined()
    const all = [...a.leases, ...b.leases]
    expect(all).toHaveLength(200)
    expect(new Set(all.map((l) => l.id)).size).toBe(200)
    expect(new Set(all.map((l) => l.tap)).size).toBe(200)
    const subnets = all.map((l) => l.subnet)
    for (const [i, subnet] of subnets.entries()) {
      for (const other of subnets.slice(i + 1)) expect(overlaps(subnet, other)).toBe(false)
      // The children were told the host uses 172.30.0.9.
      expect(overlaps(subnet, '172.30.0.9/32')).toBe(false)
    }
    // Lowest-first under the lock: together they fill ids 1–200 without gaps.
    expect(all.map((l) => l.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    const persisted = await new LeaseStore({ stateDir, occupied: async () => [] }).list()
    expect(persisted.sort((x, y) => x.id - y.id)).toEqual(all.sort((x, y) => x.id - y.id))
  })

  it('both get through a stale lock left by a crashed process, neither stealing the other\'s', async () => {
    const stateDir = await tempDir()
    const crashed = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    await once(crashed, 'exit')
    await writeFile(join(stateDir, 'leases.lock'), JSON.stringify({ pid: crashed.pid, startTime: '1' }))
    const startAt = Date.now() + 3_000
    const [a, b] = await Promise.all([allocateInChild(stateDir, 30, 'a', startAt), allocateInChild(stateDir, 30, 'b', startAt)])
    const ids = [...a.leases, ...b.leases].map((l) => l.id).sort((x, y) => x - y)
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    expect(await new LeaseStore({ stateDir, occupied: async () => [] }).list()).toHaveLength(60)
  })
})
