import { join } from 'node:path'
import { z } from 'zod'

/**
 * The four logs of an instance: what the guest printed on its serial console, what the VMM
 * printed on its own stdout and stderr, and the launch's step log that bpvm writes itself.
 */
export const LOG_STREAMS = ['guest', 'stdout', 'stderr', 'launch'] as const

export type LogStream = (typeof LOG_STREAMS)[number]

/** For `--stream` and IPC input: parse with `parseInput` so the error names the flag. */
export const logStreamSchema = z.enum(LOG_STREAMS)

// The same names instancePaths() gives the launch; a log dir holds nothing else but their `.1` parts.
const FILE_NAMES: Record<LogStream, string> = {
  guest: 'guest.log',
  stdout: 'vmm.stdout.log',
  stderr: 'vmm.stderr.log',
  launch: 'launch.log'
}

/** Each stream's file in an instance's log directory. */
export function logPaths(logDir: string): Record<LogStream, string> {
  return {
    guest: join(logDir, FILE_NAMES.guest),
    stdout: join(logDir, FILE_NAMES.stdout),
    stderr: join(logDir, FILE_NAMES.stderr),
    launch: join(logDir, FILE_NAMES.launch)
  }
}

/** One stream's file in an instance's log directory. */
export function logPath(logDir: string, stream: LogStream): string {
  return join(logDir, FILE_NAMES[stream])
}
