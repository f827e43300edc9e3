import { homedir } from 'node:os'
import { join } from 'node:path'

export interface AppDirs {
  /** Leases, instance records, locks: what must survive a restart. */
  state: string
  /** Instance disks. */
  data: string
  /** Downloaded and converted images, logs. */
  cache: string
}

/**
 * The app's own directories, per the XDG base-directory convention, or all under `BPVM_HOME`
 * when it is set (tests, or keeping everything on one disk). Nothing is created here.
 */
export function appDirs(env: NodeJS.ProcessEnv = process.env): AppDirs {
  const root = env.BPVM_HOME
  if (root) return { state: join(root, 'state'), data: join(root, 'data'), cache: join(root, 'cache') }
  const home = env.HOME || homedir()
  const base = (variable: string, fallback: string): string => {
    const value = env[variable]
    // The spec says relative values are invalid and must be ignored.
    return value && value.startsWith('/') ? value : join(home, fallback)
  }
  return {
    state: join(base('XDG_STATE_HOME', '.local/state'), 'bpvm'),
    data: join(base('XDG_DATA_HOME', '.local/share'), 'bpvm'),
    cache: join(base('XDG_CACHE_HOME', '.cache'), 'bpvm')
  }
}
