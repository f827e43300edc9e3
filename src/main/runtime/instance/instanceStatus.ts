import type { InstanceStatus } from '../../../shared/vocabulary'
import { isProcessAlive } from '../state/processIdentity'
import type { GuestMarker } from '../vmm/guestMarkers'
import { attachVm } from '../vmm/vmmDrivers'
import { instancePaths, type InstanceRecord } from './instanceRecord'
import { guestLogFacts, type CloudInitProblem } from './serviceMarkers'

export type { InstanceStatus }

export interface StatusReport {
  status: InstanceStatus
  reason: string
  /** ISO time the status was reached, as far as it is known. */
  since: string
  /** What cloud-init reported failing or warned about in this boot, with where in the guest log. */
  guestProblems?: CloudInitProblem[]
}

/** One line for the status reason: the failures first, each pointing at its guest log line. */
export function describeProblems(problems: readonly CloudInitProblem[]): string | undefined {
  const failed = problems.filter((p) => p.kind === 'failed')
  const shown = failed.length > 0 ? failed : problems
  if (shown.length === 0) return undefined
  const list = shown.slice(0, 3).map((p) => `${p.text} (guest log line ${p.line})`).join('; ')
  const more = shown.length > 3 ? `; and ${shown.length - 3} more` : ''
  return failed.length > 0 ? `cloud-init: ${list}${more}` : `cloud-init warned: ${list}${more}`
}

/** The status with what cloud-init reported added to its reason, for a boot that had any. */
function withProblems(report: StatusReport, problems: CloudInitProblem[]): StatusReport {
  const said = describeProblems(problems)
  return said === undefined ? report : { ...report, reason: `${report.reason}; ${said}`, guestProblems: problems }
}

function fromExit(marker: GuestMarker & { event: 'service-exited' }, since: string): StatusReport {
  return marker.status === 0
    ? { status: 'Finished', reason: 'the service exited with status 0', since }
    : { status: 'Error', reason: `the service exited with status ${marker.status}`, since }
}

/**
 * Derived, never assumed: whether the VMM process is alive (pid and start time), what the VMM
 * (QEMU or cloud-hypervisor) says of the VM, and the service's start and exit markers in the
 * guest's serial log.
 */
export async function instanceStatus(record: InstanceRecord): Promise<StatusReport> {
  if (record.phase === 'stopped' && record.outcome) return { status: record.outcome.status, reason: record.outcome.reason, since: record.outcome.at }
  if (!record.process) return { status: record.phase === 'launching' ? 'Pending' : 'NotStarted', reason: 'no VMM started yet', since: record.updatedAt }
  const facts = await guestLogFacts(instancePaths(record.name).serialLog)
  return withProblems(await statusFrom(record, record.process, facts.markers), facts.cloudInit.problems)
}

async function statusFrom(record: InstanceRecord, process: NonNullable<InstanceRecord['process']>, markers: GuestMarker[]): Promise<StatusReport> {
  const paths = instancePaths(record.name)
  const exited = markers.find((m): m is GuestMarker & { event: 'service-exited' } => m.event === 'service-exited')
  const started = markers.some((m) => m.event === 'service-started')
  const alive = await isProcessAlive(process)
  if (exited) return fromExit(exited, record.updatedAt)
  if (!alive) {
    return { status: 'Error', reason: started ? 'the VMM exited while the service was running' : 'the VMM exited before the service started', since: record.updatedAt }
  }
  const vm = await attachVm(record.vmm, { socketPath: paths.socket }).state()
  if (vm === 'unknown') return { status: 'Unknown', reason: 'the VMM runs but does not answer on its control socket', since: record.updatedAt }
  if (vm === 'paused') return { status: 'Pending', reason: 'the VM is paused', since: record.updatedAt }
  if (record.phase === 'launching') return { status: 'Pending', reason: 'launching', since: record.updatedAt }
  return started
    ? { status: 'Running', reason: 'the service is running', since: record.updatedAt }
    : { status: 'Pending', reason: 'the guest is booting', since: record.updatedAt }
}
