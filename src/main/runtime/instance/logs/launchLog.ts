import { appendFile } from 'node:fs/promises'
import { invalidInput } from '../../../../shared/errors'
import { DEFAULT_ROTATE_BYTES, rotateIfNeeded } from './rotateLog'

/**
 * The launch's own step log: one line per step, `<ISO time> <step>: <message>`, appended and
 * never rewritten. Not fsynced: it explains a launch, it is not a record anything depends on.
 */

export interface LaunchLogOptions {
  /** Once the log has reached this size it is renamed to `.1` before the next line; default 16 MiB. */
  rotateBytes?: number
  /** The clock, for tests. */
  now?: () => Date
}

export interface LaunchLog {
  /** Appends one step line; lines appear in the order `append` was called. */
  append(step: string, message: string): Promise<void>
}

const STEP = /^[a-z][a-z0-9-]{0,31}$/

/** One line of the launch log; a message over several lines is joined into one. */
export function launchLogLine(at: Date, step: string, message: string): string {
  if (!STEP.test(step)) throw invalidInput('step', `${JSON.stringify(step)} must be a lower-case word (a–z, 0–9, "-")`)
  return `${at.toISOString()} ${step}: ${message.replace(/\s*[\r\n]+\s*/g, ' ').trim()}\n`
}

/**
 * An appender for one instance's launch log. Use one per log: it orders its own lines and
 * rotates by renaming, which is safe because it reopens the file for every line.
 */
export function launchLog(path: string, { rotateBytes = DEFAULT_ROTATE_BYTES, now = () => new Date() }: LaunchLogOptions = {}): LaunchLog {
  let last: Promise<unknown> = Promise.resolve()
  return {
    append(step, message) {
      const at = now()
      const written = last.then(async () => {
        const line = launchLogLine(at, step, message)
        await rotateIfNeeded(path, rotateBytes, { mode: 'rename' })
        await appendFile(path, line, { mode: 0o600 })
      })
      // A failed line is the caller's to handle; the next ones still go out.
      last = written.catch(() => undefined)
      return written
    }
  }
}
