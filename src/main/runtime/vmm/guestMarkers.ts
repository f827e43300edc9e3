/**
 * Lines a guest prints on its serial console so the host can tell what the service is doing
 * without an agent. The dev guest's init prints them; the status logic reads them.
 */
export const MARKER_PREFIX = 'BPVM_EVENT'

/** Printed once the service's process has started: `BPVM_EVENT service-started pid=<pid>`. */
export const SERVICE_STARTED = 'service-started'

/** Printed when the service's process has ended: `BPVM_EVENT service-exited status=<exit code>`. */
export const SERVICE_EXITED = 'service-exited'

export type GuestMarker = { event: 'service-started'; pid: number } | { event: 'service-exited'; status: number }

/** The marker on one serial-log line, or undefined. Tolerates a carriage return and leading console noise. */
export function parseGuestMarker(line: string): GuestMarker | undefined {
  const match = /BPVM_EVENT (service-started) pid=(\d+)|BPVM_EVENT (service-exited) status=(\d+)/.exec(line)
  if (!match) return undefined
  if (match[1]) return { event: 'service-started', pid: Number(match[2]) }
  return { event: 'service-exited', status: Number(match[4]) }
}
