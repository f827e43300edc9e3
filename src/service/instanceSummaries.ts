import type { InstanceSummary } from '../shared/api'
import { BpvmError } from '../shared/errors'
import { checkInstanceName, instancePaths, listInstanceRecords, readInstance, type BrokenRecord, type InstanceRecord } from '../main/runtime/instance/instanceRecord'
import { instanceStatus } from '../main/runtime/instance/instanceStatus'
import { bridgeSummary } from '../main/runtime/instance/bridgeSummary'
import { forwardSummary } from '../main/runtime/instance/forwardSummary'

/** The record of an instance that must exist; the name is checked first, so it can never point outside our directories. */
export async function requireInstance(name: string): Promise<InstanceRecord> {
  const record = await readInstance(checkInstanceName(name))
  if (!record) throw new BpvmError('INSTANCE_NOT_FOUND', `no instance called ${name}`, { name })
  return record
}

/** One instance as the UI shows it, with its status derived now. */
export async function instanceSummary(record: InstanceRecord): Promise<InstanceSummary> {
  const [status, bridge] = await Promise.all([instanceStatus(record), bridgeSummary(record)])
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
    forwards: forwardSummary(record)
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
export async function listInstanceSummaries(): Promise<InstanceSummary[]> {
  const { records, broken } = await listInstanceRecords()
  const summaries = [...(await Promise.all(records.map(instanceSummary))), ...broken.map(brokenSummary)]
  return summaries.sort((a, b) => a.name.localeCompare(b.name))
}
