import type { BridgeSummary } from './api/instances'

/** "bridge connected 3 s ago", "bridge waiting (vsock)", for one-line statuses. */
export function describeBridge(summary: BridgeSummary, now = Date.now()): string {
  if (summary.transport === 'none') return 'no bridge'
  const seconds = secondsSincePing(summary, now)
  return seconds === undefined ? `bridge waiting (${summary.transport})` : `bridge connected ${seconds} s ago (${summary.transport})`
}

/** Whole seconds since the service last pinged its bridge, or undefined when it never has. */
export function secondsSincePing(summary: BridgeSummary, now = Date.now()): number | undefined {
  return summary.lastPingAt === undefined ? undefined : Math.max(0, Math.round((now - Date.parse(summary.lastPingAt)) / 1000))
}
