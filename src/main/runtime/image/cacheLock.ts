import { BpvmError } from '../../../shared/errors'
import { withFileLock } from '../state/fileLock'
import { cancelled } from './httpClient'

export interface CacheLockOptions {
  signal?: AbortSignal
  /** Give up after this long; a pull over a slow link holds the lock for a long time. */
  timeoutMs?: number
  /** Called once, when the lock is held by someone else and waiting begins. */
  onWait?: () => void
}

// Short rounds of the process-wide lock, so a cancel is noticed within this long.
const ROUND_MS = 1_000

const isOurTimeout = (error: unknown, file: string): boolean =>
  error instanceof BpvmError && error.code === 'LOCK_TIMEOUT' && error.details?.lockFile === file

/** `withFileLock` that can wait for hours and still be cancelled while waiting. */
export async function withCacheLock<T>(file: string, body: () => Promise<T>, options: CacheLockOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 6 * 60 * 60_000)
  let waiting = false
  for (;;) {
    if (options.signal?.aborted) throw cancelled('waiting for the image cache lock')
    let entered = false
    try {
      return await withFileLock(
        file,
        () => {
          entered = true
          return body()
        },
        { timeoutMs: Math.max(1, Math.min(ROUND_MS, deadline - Date.now())) }
      )
    } catch (error) {
      if (entered || !isOurTimeout(error, file) || Date.now() >= deadline) throw error
      if (!waiting) options.onWait?.()
      waiting = true
    }
  }
}
