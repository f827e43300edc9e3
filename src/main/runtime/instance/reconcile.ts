import { LeaseStore } from '../net/leaseStore'
import { HOST_NET, type NetContext } from '../net/netContext'
import { cleanupOrphans, releaseLeaseHoldings } from '../net/netInventory'
import { isProcessAlive, type ProcessIdentity } from '../state/processIdentity'
import { startBridge } from '../bridge/bridgeProcess'
import { startConsoleHub } from '../console/consoleProcess'
import { reconcileVsockRouter, type VsockRouterReconcile } from '../bridge/vsockRouter'
import type { VmmProcess } from '../vmm/vmmProcess'
import { vsockCid } from '../vmm/vmSpec'
import { instancePaths, isInstanceName, listInstances, writeInstance, type InstanceRecord } from './instanceRecord'
import { launchLog } from './logs/launchLog'
import { isLaunchingOrRunning } from './launchingOrRunning'
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
  /** Live instances whose console hub had died: started again (the screen it kept is gone; the guest's shell is not). */
  restartedConsoles: string[]
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
  const report: ReconcileReport = { live: [], ended: [], interrupted: [], releasedLeases: [], removedTaps: [], removedRulesOf: [], killedVmms: [], restartedBridges: [], restartedConsoles: [] }
  for (const record of await listInstances()) {
    const check = await endIfDead(record)
    if (typeof check === 'object') {
      if (check.interrupted) report.interrupted.push(check.name)
      else report.ended.push({ name: check.name, status: check.status, reason: check.reason })
    } else if (check === 'live') {
      report.live.push(record.name)
      const restarted = await restartDeadParts(record)
      if (restarted.bridge) report.restartedBridges.push(record.name)
      if (restarted.console) report.restartedConsoles.push(record.name)
    }
  }
  const live = new Set((await listInstances()).filter((r) => r.phase !== 'stopped').map((r) => r.name))
  // A launch writes its record before it opens its route: listed under the router's lock (once,
  // when there is a route to judge), a route opened since `live` was read is kept.
  let routedCids: Promise<Set<number>> | undefined
  const listRoutedCids = async (): Promise<Set<number>> => new Set((await listInstances()).filter((r) => r.phase !== 'stopped').map((r) => vsockCid(r.net.id)))
  const stillRoutes = async (cid: number): Promise<boolean> => (await (routedCids ??= listRoutedCids())).has(cid)
  const router = await reconcileVsockRouter(stillRoutes).catch((error: Error): VsockRouterReconcile => ({ pruned: [], problem: error.message }))
  if (router.pruned.length > 0 || router.listener || router.problem) report.vsockRouter = router
  // Listing and releasing need no pool: a broken network.json must not stop reconcile.
  const leases = new LeaseStore()
  const released = await releaseUnusedLeases(HOST_NET, leases, live)
  report.releasedLeases.push(...released.releasedLeases)
  report.removedTaps.push(...released.removedTaps)
  report.removedRulesOf.push(...released.removedRulesOf)
  const cleaned = await cleanupOrphans(HOST_NET, () => leases.list())
  report.removedTaps.push(...cleaned.removedTaps)
  report.removedRulesOf.push(...cleaned.removedRulesOf)
  report.killedVmms.push(...(await stopStrayProcesses(live)))
  return report
}

/**
 * Gives back the leases of instances that neither run nor are being launched, with the TAP and
 * rules each lease proves are ours (those first). `live` was read earlier: each lease's owner is
 * looked at again now, since a launch may have ended since (see isLaunchingOrRunning). An owner
 * that is no instance name has no directory of ours to look in (and its lease is released).
 */
export async function releaseUnusedLeases(ctx: NetContext, leases: LeaseStore, live: ReadonlySet<string>): Promise<{ releasedLeases: string[]; removedTaps: string[]; removedRulesOf: string[] }> {
  const report = { releasedLeases: [] as string[], removedTaps: [] as string[], removedRulesOf: [] as string[] }
  for (const lease of await leases.list()) {
    const inUse = live.has(lease.owner) || (isInstanceName(lease.owner) && (await isLaunchingOrRunning(lease.owner)))
    if (inUse) continue
    const given = await releaseLeaseHoldings(ctx, lease)
    report.removedTaps.push(...given.removedTaps)
    report.removedRulesOf.push(...given.removedRulesOf)
    await leases.release(lease.owner)
    report.releasedLeases.push(lease.owner)
  }
  return report
}

/**
 * A live VM's bridge or console hub that died (killed, crashed, the host's OOM killer) is started
 * again: the bridge with the state it had kept; a new hub takes the VMM's console socket over
 * (the VMM serves one client at a time and takes the next when the last has gone). Answers the
 * record as rewritten with the new process, or undefined when the process lives, there is none,
 * or it could not be started. One another process restarted meanwhile is left alone.
 */
async function restartIfDead(
  label: 'bridge' | 'console hub',
  current: Required<ProcessIdentity> | undefined,
  start: () => Promise<VmmProcess>,
  recordWith: (process: Required<ProcessIdentity>) => InstanceRecord
): Promise<InstanceRecord | undefined> {
  if (!current || (await isProcessAlive(current))) return undefined
  try {
    const started = await start()
    const written = await writeInstance(recordWith(started.identity))
    await launchLog(instancePaths(written.name).launchLog).append('reconcile', `the ${label} (pid ${current.pid}) had died while the VM runs; started again as pid ${started.identity.pid}`)
    return written
  } catch {
    return undefined
  }
}

/** The live instance with its dead bridge and console hub started again; which of them were. */
async function restartDeadParts(record: InstanceRecord): Promise<{ bridge: boolean; console: boolean }> {
  const paths = instancePaths(record.name)
  const bridge = record.bridge
  const withBridge = await restartIfDead('bridge', bridge?.process, () => startBridge(paths.state, paths.bridgeLog), (process) => ({ ...record, bridge: { ...bridge!, process } }))
  const latest = withBridge ?? record
  const withHub = await restartIfDead('console hub', latest.console?.process, () => startConsoleHub(paths.state, paths.consoleHubSocket, paths.consoleHubLog), (process) => ({ ...latest, console: { process } }))
  return { bridge: withBridge !== undefined, console: withHub !== undefined }
}
