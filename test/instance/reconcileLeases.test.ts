import { mkdir, rm } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { instancePaths, writeInstance, type InstanceRecord } from '../../src/main/runtime/instance/instanceRecord'
import { releaseUnusedLeases } from '../../src/main/runtime/instance/reconcile'
import { createTap, linkExists } from '../../src/main/runtime/net/ipCommand'
import { LeaseStore, type Lease } from '../../src/main/runtime/net/leaseStore'
import { ownerTag } from '../../src/main/runtime/net/ownerTag'
import { addVmRules, listVmRules } from '../../src/main/runtime/net/vmNetRules'
import { withFileLock } from '../../src/main/runtime/state/fileLock'
import { useNetns } from '../support/netns'
import { recordFixture } from '../support/recordFixture'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

describeAsRoot("reconcile's lease release", () => {
  describeWithPrograms(['ip', 'nft'], 'in a network namespace', () => {
    const netns = useNetns()
    const tempDir = useTempDirs()

    it('keeps the leases of launches that ended or began after the live list was read, and gives back the rest with their TAP and rules', async () => {
      const ctx = { netns: await netns.create() }
      const leases = new LeaseStore({ stateDir: await tempDir(), occupied: async () => [] })
      const names = ['rl-arrived', 'rl-launching', 'rl-gone', 'rl-listed']
      await Promise.all(names.map((name) => rm(instancePaths(name).state, { recursive: true, force: true })))
      const [arrived, launching, gone, listed] = await Promise.all(names.map((name) => leases.allocate(name))) as [Lease, Lease, Lease, Lease]
      for (const lease of [arrived, gone]) {
        await createTap(ctx, { name: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix, alias: ownerTag() })
        await addVmRules(ctx, { tap: lease.tap, egress: 'up0', subnet: lease.subnet })
      }
      // Finished its launch after the caller listed the live instances: its record says it runs.
      await writeInstance(recordFixture(arrived.owner, arrived.id, { phase: 'running' }) as InstanceRecord)
      // Holds its lease and its lock; no record yet.
      await mkdir(instancePaths(launching.owner).state, { recursive: true })
      // Torn down: its record says stopped, yet its lease, TAP and rules were left behind.
      await writeInstance(recordFixture(gone.owner, gone.id, { phase: 'stopped' }) as InstanceRecord)

      const report = await withFileLock(instancePaths(launching.owner).launchLock, () => releaseUnusedLeases(ctx, leases, new Set([listed.owner])))

      expect(report).toEqual({ releasedLeases: [gone.owner], removedTaps: [gone.tap], removedRulesOf: [gone.tap] })
      expect((await leases.list()).map((l) => l.owner).sort()).toEqual([arrived.owner, launching.owner, listed.owner].sort())
      expect(await linkExists(ctx, gone.tap)).toBe(false)
      expect(await linkExists(ctx, arrived.tap)).toBe(true)
      expect(new Set((await listVmRules(ctx)).map((r) => r.tap))).toEqual(new Set([arrived.tap]))
      await Promise.all(names.map((name) => rm(instancePaths(name).state, { recursive: true, force: true })))
    }, 60_000)
  })
})
