import { isLockHeld } from '../state/fileLock'
import { instancePaths, readInstance } from './instanceRecord'

/**
 * Whether an instance is being launched (a live process holds its launch lock) or its record
 * says it runs. Looked at in that order, now: a launch writes its record before it lets go of
 * the lock, so one that ends between the two looks is still seen, and one that ended after a
 * caller's earlier listing is not taken for gone. An unreadable record counts as not running.
 */
export async function isLaunchingOrRunning(name: string): Promise<boolean> {
  if (await isLockHeld(instancePaths(name).launchLock)) return true
  const record = await readInstance(name).catch(() => undefined)
  return record !== undefined && record.phase !== 'stopped'
}
