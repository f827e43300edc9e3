import type { BridgeSummary } from './api/instances'

/** "bridge connected 3 s ago", "bridge waiting (vsock)", for one-line statuses. */
export function describeBridge(summary: BridgeSummary, now = Date.now()): string {
  if (summary.transport === 'none') return 'no bridge'
  if (summary.lastPingAt === undefined) return `bridge waiting (${summary.transport})`
  const seconds = Math.max(0, Math.round((now - Date.parse(summary.lastPingAt)) / 1000))
  return `bridge connected ${seconds} s ago (${summary.transport})`
}
