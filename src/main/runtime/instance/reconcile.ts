import { LeaseStore } from '../net/leaseStore'
import { HOST_NET } from '../net/netContext'
import { cleanupOrphans, releaseLeaseHoldings } from '../net/netInventory'
import { isLockHeld } from '../state/fileLock'
import { isProcessAlive } from '../state/processIdentity'
import { startBridge } from '../bridge/bridgeProcess'
import { reconcileVsockRouter, type VsockRouterReconcile } from '../bridge/vsockRouter'
import { vsockCid } from '../vmm/vmSpec'
import { instancePaths, isInstanceName, listInstances, writeInstance, type InstanceRecord } from './instanceRecord'
import { launchLog } from './logs/launchLog'
import { endIfDead } from './endInstance'
import { stopStrayProcesses } from './strayProcesses'

export interface ReconcileReport {
  /** Instances whose VMM still runs: left alone. */
  live: string[]
  /** Instances whose VMM had died: marked Finished or Error, network given back. */
  ended: Array<{ name: string; status: string; reason: string }>
  /** Launches whose launching process died half-way: undone. */
  interrupted: string[]
  releasedLeases: string[]
  removedTaps: string[]
  removedRulesOf: string[]
  killedVmms: number[]
  /** Live instances whose bridge had died: started again. */
  restartedBridges: string[]
  /** The host-wide vsock listener (QEMU with /dev/vhost-vsock), when reconcile changed or failed to mend it. */
  vsockRouter?: VsockRouterReconcile
}

/**
 * Brings the records and the host back in line after a crash or a killed process: a live VMM
 * is kept; a dead one's instance is marked ended and its network cleaned; a half-done launch
 * whose launcher died is undone; leases, TAPs, rules and VMM processes that belong to no
 * instance are removed. Only what this home provably made is touched: what its leases and
 * records name, and TAPs carrying its tag; look-alikes are left (`bpvm net ls` reports them).
 */
export async function reconcile(): Promise<ReconcileReport> {
  const report: ReconcileReport = { live: [], ended: [], interrupted: [], releasedLeases: [], removedTaps: [], removedRulesOf: [], killedVmms: [], restartedBridges: [] }
  for (const record of await listInstances()) {
    const check = await endIfDead(record)
    if (typeof check === 'object') {
      if (check.interrupted) report.interrupted.push(check.name)
      else report.ended.push({ name: check.name, status: check.status, reason: check.reason })
    } else if (check === 'live') {
      report.live.push(record.name)
      if (await restartDeadBridge(record)) report.restartedBridges.push(record.name)
    }
  }
  const liveRecords = (await listInstances()).filter((r) => r.phase !== 'stopped')
  const live = new Set(liveRecords.map((r) => r.name))
  const router = await reconcileVsockRouter(new Set(liveRecords.map((r) => vsockCid(r.net.id)))).catch((error: Error): VsockRouterReconcile => ({ pruned: [], problem: error.message }))
  if (router.pruned.length > 0 || router.listener || router.problem) report.vsockRouter = router
  // Listing and releasing need no pool: a broken network.json must not stop reconcile.
  const leases = new LeaseStore()
  for (const lease of await leases.list()) {
    // A launch holds its lease a moment before its record says so. An owner that is no instance
    // name has no directory of ours to look in (and the lease is released).
    const launching = isInstanceName(lease.owner) && (await isLockHeld(instancePaths(lease.owner).launchLock))
    if (!live.has(lease.owner) && !launching) {
      // The lease proves its TAP and rules are ours: they go first, then the lease.
      const given = await releaseLeaseHoldings(HOST_NET, lease)
      report.removedTaps.push(...given.removedTaps)
      report.removedRulesOf.push(...given.removedRulesOf)
      await leases.release(lease.owner)
      report.releasedLeases.push(lease.owner)
    }
  }
  const cleaned = await cleanupOrphans(HOST_NET, () => leases.list())
  report.removedTaps.push(...cleaned.removedTaps)
  report.removedRulesOf.push(...cleaned.removedRulesOf)
  report.killedVmms.push(...(await stopStrayProcesses(live)))
  return report
}

/**
 * A live VM whose bridge died (killed, crashed, the host's OOM killer) gets it back, with the
 * state it had kept. A bridge another process restarted meanwhile is left alone.
 */
async function restartDeadBridge(record: InstanceRecord): Promise<boolean> {
  const bridge = record.bridge
  if (!bridge?.process || (await isProcessAlive(bridge.process))) return false
  const paths = instancePaths(record.name)
  try {
    const started = await startBridge(paths.state, paths.bridgeLog)
    await writeInstance({ ...record, bridge: { ...bridge, process: started.identity } })
    await launchLog(paths.launchLog).append('reconcile', `the bridge (pid ${bridge.process.pid}) had died while the VM runs; started again as pid ${started.identity.pid}`)
    return true
  } catch {
    return false
  }
}
