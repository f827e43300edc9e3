import { reconcile } from '../main/runtime/instance/reconcile'
import { hasNetAdmin } from '../main/runtime/net/netAdmin'

/**
 * When the service brings records and host back in line (a crash or a killed process may have
 * left either behind), by how long its host lives:
 * - `watch` (the app's worker, `bpvm serve`): once at start, then every VM whose VMM dies is
 *   ended within seconds (deadInstanceWatch), so nothing ever waits for a reconcile;
 * - `before-changes` (the CLI, one call and gone): before each call that changes instances
 *   (a launch, once its input has been checked; a teardown). Listing changes nothing;
 * - `off`: never (tests in the host's own network namespace).
 * Without CAP_NET_ADMIN nothing could be mended, and nothing is tried.
 */
export type ReconcilePolicy = 'watch' | 'before-changes' | 'off'

/** Reconciles, and says (on stderr) what could not be mended rather than failing the call that asked. */
export async function reconcileQuietly(): Promise<void> {
  try {
    if (await hasNetAdmin()) await reconcile()
  } catch (error) {
    console.error(`bpvm: reconcile could not finish: ${error instanceof Error ? error.message : String(error)}`)
  }
}
