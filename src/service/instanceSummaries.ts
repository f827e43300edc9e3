import type { InstanceSummary, WatchSummary } from '../shared/api'
import { BpvmError } from '../shared/errors'
import { checkInstanceName, instancePaths, listInstanceRecords, readInstance, type BrokenRecord, type InstanceRecord } from '../main/runtime/instance/instanceRecord'
import { instanceStatus } from '../main/runtime/instance/instanceStatus'
import { bridgeSummary } from '../main/runtime/instance/bridgeSummary'
import { forwardSummary } from '../main/runtime/instance/forwardSummary'
import { readSavedLaunch } from '../main/runtime/instance/savedLaunch'
import { lockHolderPid } from '../main/runtime/state/fileLock'
import type { RelaunchWatch } from './relaunchWatch'

/** The record of an instance that must exist; the name is checked first, so it can never point outside our directories. */
export async function requireInstance(name: string): Promise<InstanceRecord> {
  const record = await readInstance(checkInstanceName(name))
  if (!record) throw new BpvmError('INSTANCE_NOT_FOUND', `no instance called ${name}`, { name })
  return record
}

/**
 * Its relaunch-on-change watch: this process's own state when it watches it, else who does (the
 * holder of its watch lock), if anyone. None for an instance without a saved launch.
 */
async function watchSummary(name: string, files?: RelaunchWatch): Promise<WatchSummary | undefined> {
  const saved = await readSavedLaunch(name).catch(() => undefined)
  if (!saved) return undefined
  const here = files?.stateOf(name)
  if (here) return { enabled: saved.watch, by: 'here', pid: process.pid, ...here }
  if (!saved.watch) return { enabled: false }
  const pid = await lockHolderPid(instancePaths(name).watchLock)
  return pid === undefined ? { enabled: true, by: 'nobody' } : { enabled: true, by: 'elsewhere', pid }
}

/** One instance as the UI shows it, with its status derived now. */
export async function instanceSummary(record: InstanceRecord, files?: RelaunchWatch): Promise<InstanceSummary> {
  const [status, bridge, watch] = await Promise.all([instanceStatus(record), bridgeSummary(record), watchSummary(record.name, files)])
  return {
    name: record.name,
    status: status.status,
    reason: status.reason,
    since: status.since,
    ...(status.guestProblems ? { guestProblems: status.guestProblems } : {}),
    phase: record.phase,
    vmm: record.vmm,
    image: record.image,
    accel: record.accel,
    vcpus: record.limits.vcpus,
    memoryBytes: record.limits.memoryBytes,
    storageBytes: record.limits.storageBytes,
    guestAddress: record.net.guestAddress,
    hostAddress: record.net.hostAddress,
    tap: record.net.tap,
    createdAt: record.createdAt,
    logsDir: instancePaths(record.name).logs,
    ...(bridge ? { bridge } : {}),
    forwards: forwardSummary(record),
    ...(watch ? { watch } : {})
  }
}

/** A record that cannot be used: its name and file, and nothing it claims. */
function brokenSummary(broken: BrokenRecord): InstanceSummary {
  return {
    name: broken.name, status: 'Unknown', reason: `broken record: ${broken.problem}`, since: '', phase: 'stopped', vmm: 'qemu', image: '', accel: 'auto',
    vcpus: 0, memoryBytes: 0, storageBytes: 0, guestAddress: '', hostAddress: '', tap: '', createdAt: '', logsDir: instancePaths(broken.name).logs, forwards: [],
    broken: { file: broken.file, problem: broken.problem }
  }
}

/** Every instance by name, the broken ones among them (listed as such, their files named). */
export async function listInstanceSummaries(files?: RelaunchWatch): Promise<InstanceSummary[]> {
  const { records, broken } = await listInstanceRecords()
  const summaries = [...(await Promise.all(records.map((record) => instanceSummary(record, files)))), ...broken.map(brokenSummary)]
  return summaries.sort((a, b) => a.name.localeCompare(b.name))
}
