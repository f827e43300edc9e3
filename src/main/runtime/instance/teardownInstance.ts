import type { TeardownResult } from '../../../shared/vocabulary'
import { setTimeout as sleep } from 'node:timers/promises'
import { BpvmError } from '../../../shared/errors'
import { readAppSettings } from '../settings/appSettings'
import { withFileLock } from '../state/fileLock'
import { isProcessAlive } from '../state/processIdentity'
import { attachVm } from '../vmm/vmmDrivers'
import { checkInstanceName, instancePaths, purgeInstance, readInstance, writeInstance, type InstanceRecord } from './instanceRecord'
import { instanceStatus, type StatusReport } from './instanceStatus'
import { launchLog } from './logs/launchLog'
import { stopInstanceBridge } from './instanceBridge'
import { stopInstanceConsole } from './instanceConsole'
import { releaseHostResources } from './releaseHostResources'

// Often: a relaunch waits on it, and a look is a read of /proc.
const POWER_OFF_POLL_MS = 20

export interface TeardownOptions {
  /** Kill the VMM now instead of pressing the power button first. */
  force?: boolean
  /** How long the guest gets after the power button before the VMM is killed; default: the grace setting (30 s). */
  graceMs?: number
  /** Also delete the instance's disks, logs and record. */
  purge?: boolean
}

/** What a teardown did (the shared vocabulary's TeardownResult). */
export type TeardownReport = TeardownResult

/**
 * Stops an instance and gives back everything it holds: the VMM process, its nftables rules,
 * its TAP, its control socket and its lease. An instance that already died, or was already torn
 * down, is cleaned up quietly. Disks stay unless `purge`.
 */
export async function teardownInstance(name: string, options: TeardownOptions = {}): Promise<TeardownReport> {
  const paths = instancePaths(checkInstanceName(name))
  const notFound = () => new BpvmError('INSTANCE_NOT_FOUND', `no instance called ${name}`, { name })
  if (!(await readInstance(name))) throw notFound()
  // Another teardown of it may be waiting out its grace: this one waits for it, then finds it stopped.
  const graceMs = options.graceMs ?? (await readAppSettings()).graceSeconds * 1000
  return holdingStopLock(paths.stopLock, graceMs + 20_000, async () => {
    // Read again under the lock: the VM may have been ended (or purged) meanwhile.
    const record = await readInstance(name)
    if (!record) throw notFound()
    return teardownLocked(record, options, graceMs)
  })
}

/**
 * The stop lock keeps the service's watch from ending the instance under a teardown. On a full
 * disk the lock file itself cannot be written: the teardown then goes on without it, since
 * `down --purge` is how a user frees the disk.
 */
async function holdingStopLock<T>(file: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  try {
    return await withFileLock(file, work, { timeoutMs })
  } catch (error) {
    if (error instanceof BpvmError && error.code === 'DISK_FULL' && error.details?.file === file) return work()
    throw error
  }
}

async function teardownLocked(record: InstanceRecord, options: TeardownOptions, graceSettingMs: number): Promise<TeardownReport> {
  const { name } = record
  const paths = instancePaths(name)
  let stopped: TeardownReport['stopped'] = 'already'
  // How it stood when the user asked: what the teardown then did is not a failure of the VM.
  let before: StatusReport | undefined
  let graceMs = 0
  const identity = record.process
  if (identity && (await isProcessAlive(identity))) {
    before = await instanceStatus(record)
    const vm = attachVm(record.vmm, { socketPath: paths.socket, process: identity })
    if (!options.force && (await vm.powerButton())) {
      graceMs = graceSettingMs
      const deadline = Date.now() + graceMs
      while (Date.now() < deadline && (await isProcessAlive(identity))) await sleep(POWER_OFF_POLL_MS)
    }
    stopped = (await isProcessAlive(identity)) ? 'killed' : 'graceful'
    await vm.stop(2_000)
  }
  const ended = record.phase === 'stopped' && record.outcome ? record.outcome : await teardownOutcome(record, stopped, before, graceMs)
  if (options.purge) {
    // Its files go first: purging is how a user frees a full disk, and the rest may need the room
    // (the lease file is rewritten). A record about to be deleted is not written again. The bridge
    // stops first, so nothing is still writing in the directory that goes.
    await stopInstanceBridge(record, paths)
    await stopInstanceConsole(record, paths)
    await purgeInstance(name)
    await releaseHostResources(record)
    return { name, status: ended.status, reason: ended.reason, stopped, purged: true }
  }
  await releaseHostResources(record)
  if (record.phase !== 'stopped') {
    await writeInstance({ ...record, phase: 'stopped', outcome: { status: ended.status, reason: ended.reason, at: new Date().toISOString() } })
    await launchLog(paths.launchLog).append('teardown', `stopped (${stopped}): ${ended.status}, ${ended.reason}`)
  }
  return { name, status: ended.status, reason: ended.reason, stopped, purged: false }
}

/**
 * How the instance ended, now that its VMM is gone. A VM that had already ended (or whose
 * service had exited) keeps its own outcome, Error included. One the user stopped ends Finished,
 * saying how: before its service started, by the power button, or forced once the grace was over.
 */
export async function teardownOutcome(
  record: InstanceRecord,
  stopped: TeardownReport['stopped'],
  before: StatusReport | undefined,
  graceMs: number
): Promise<{ status: 'Finished' | 'Error'; reason: string }> {
  if (stopped === 'already' || !before) {
    const derived = await instanceStatus(record)
    if (derived.status === 'Finished' || derived.status === 'Error') return { status: derived.status, reason: derived.reason }
    return { status: 'Finished', reason: `torn down (${derived.reason})` }
  }
  if (before.status === 'Finished' || before.status === 'Error') return { status: before.status, reason: before.reason }
  const how =
    stopped === 'graceful'
      ? 'stopped by the power button'
      : graceMs > 0
        ? `forced after ${Math.round(graceMs / 1000)} s: the guest did not power off`
        : 'forced at once'
  if (before.status !== 'Running') return { status: 'Finished', reason: `${how}, before the service started` }
  const exited = (await instanceStatus(record)).reason.match(/the service exited with status \d+/)?.[0]
  return { status: 'Finished', reason: exited ? `${how}; ${exited}` : how }
}
