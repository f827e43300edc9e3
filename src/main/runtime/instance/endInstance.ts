import { BpvmError } from '../../../shared/errors'
import { withFileLock } from '../state/fileLock'
import { isProcessAlive } from '../state/processIdentity'
import { attachVm } from '../vmm/vmmDrivers'
import { instancePaths, listInstances, readInstance, writeInstance, type InstanceRecord } from './instanceRecord'
import { instanceStatus } from './instanceStatus'
import { launchLog } from './logs/launchLog'
import { releaseHostResources } from './releaseHostResources'

/** An instance found ended: its VMM had died, or its launcher died half-way (`interrupted`). */
export interface EndedInstance {
  name: string
  status: 'Finished' | 'Error'
  reason: string
  interrupted: boolean
}

/** What looking at one instance found: ended now, or left as it is and why. */
export type EndCheck = EndedInstance | 'stopped' | 'live' | 'launching' | 'busy'

/**
 * Ends an instance that can no longer run: its VMM died (marked Finished or Error, as its status
 * says), or the process launching it died (its VMM is stopped, marked Error). Its network and
 * sockets are given back. It is looked at again under the instance's stop lock, so a teardown in
 * progress (which holds it) is left to finish and name the outcome (`busy`).
 */
export async function endIfDead(record: InstanceRecord): Promise<EndCheck> {
  const quick = await needsEnding(record)
  if (quick !== 'dead') return quick
  try {
    return await withFileLock(instancePaths(record.name).stopLock, async () => {
      const now = await readInstance(record.name)
      if (!now) return 'stopped'
      const check = await needsEnding(now)
      return check === 'dead' ? endNow(now) : check
    }, { timeoutMs: 0 })
  } catch (error) {
    if (error instanceof BpvmError && error.code === 'LOCK_TIMEOUT') return 'busy'
    throw error
  }
}

async function needsEnding(record: InstanceRecord): Promise<'dead' | 'stopped' | 'live' | 'launching'> {
  if (record.phase === 'stopped') return 'stopped'
  if (record.phase === 'launching') return record.launcher !== undefined && (await isProcessAlive(record.launcher)) ? 'launching' : 'dead'
  return record.process !== undefined && (await isProcessAlive(record.process)) ? 'live' : 'dead'
}

async function endNow(record: InstanceRecord): Promise<EndedInstance> {
  if (record.phase === 'launching') {
    if (record.process) await attachVm(record.vmm, { socketPath: instancePaths(record.name).socket, process: record.process }).stop(2_000)
    const reason = 'the launch was interrupted (its process died) and has been undone'
    await markEnded(record, { status: 'Error', reason }, 'reconcile')
    return { name: record.name, status: 'Error', reason, interrupted: true }
  }
  const status = await instanceStatus(record)
  const outcome = status.status === 'Finished' ? { status: 'Finished' as const, reason: status.reason } : { status: 'Error' as const, reason: status.reason }
  await markEnded(record, outcome, 'reconcile')
  return { name: record.name, ...outcome, interrupted: false }
}

async function markEnded(record: InstanceRecord, outcome: { status: 'Finished' | 'Error'; reason: string }, by: string): Promise<void> {
  await releaseHostResources(record)
  await writeInstance({ ...record, phase: 'stopped', outcome: { ...outcome, at: new Date().toISOString() } })
  await launchLog(instancePaths(record.name).launchLog).append(by, `${outcome.status}: ${outcome.reason}`)
}

/**
 * Every instance that ended while nobody watched, ended for good: what a long-running service
 * (the app's worker, `bpvm serve`) does every few seconds, so a VM that died gives its network
 * back at once. One that cannot be ended now is named in `failed` and tried again next time.
 */
export async function endDeadInstances(): Promise<{ ended: EndedInstance[]; failed: Array<{ name: string; message: string }> }> {
  const ended: EndedInstance[] = []
  const failed: Array<{ name: string; message: string }> = []
  for (const record of await listInstances()) {
    try {
      const check = await endIfDead(record)
      if (typeof check === 'object') ended.push(check)
    } catch (error) {
      failed.push({ name: record.name, message: (error as Error).message })
    }
  }
  return { ended, failed }
}
