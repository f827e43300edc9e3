import type { LoopbackForwardSummary } from '../../../shared/api/instances'
import { HOST_LOOPBACK } from '../net/vmNetRuleSpec'
import type { InstanceRecord } from './instanceRecord'

/** The instance's loopback forwards as the API and `bpvm ls --json` show them: guest side → host side; none once it is stopped (teardown removed them). */
export function forwardSummary(record: InstanceRecord): LoopbackForwardSummary[] {
  if (record.phase === 'stopped') return []
  return (record.loopbackForwards ?? []).map((forward) => ({
    guest: `${record.net.hostAddress}:${forward.port}`,
    host: `${HOST_LOOPBACK}:${forward.port}`,
    for: forward.for
  }))
}
