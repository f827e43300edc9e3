import { API, type TeardownAllRequest } from '../../shared/api'
import { MAX_GRACE_SECONDS } from '../../shared/api/instances'

/** Most calls answer in well under a second; this only catches an answer that will never come. */
export const DEFAULT_CALL_DEADLINE_MS = 60_000

// A teardown without a grace of its own uses the setting's, which may be the longest allowed.
// After the grace period: the kill, and giving back rules, TAP and lease.
const TEARDOWN_MARGIN_MS = 60_000

/**
 * How long the supervisor waits for the worker's answer to one call. A teardown takes as long as
 * its grace period; everything else, including a launch (which answers with its task at once),
 * gets the default.
 */
export function callDeadlineMs(channel: string, request: unknown): number {
  if (channel === API.instances.teardown.name || channel === API.instances.teardownAll.name) {
    const options = (request ?? {}) as TeardownAllRequest
    if (options.force) return TEARDOWN_MARGIN_MS
    return (options.graceSeconds ?? MAX_GRACE_SECONDS) * 1000 + TEARDOWN_MARGIN_MS
  }
  return DEFAULT_CALL_DEADLINE_MS
}
