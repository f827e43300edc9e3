import { ExecaError } from 'execa'
import type { ErrorCode } from '../../../../shared/errorCodes'
import { BpvmError } from '../../../../shared/errors'

/** How one external program is named in errors. */
export interface ProgramInfo {
  program: string
  /** The Debian package that provides it, for the "not installed" hint. */
  debianPackage: string
  /** Stable error code for a run that failed. */
  code: ErrorCode
  timeoutMs: number
}

/**
 * Turns what execa threw into our error, with the program's own stderr as the reason, so
 * the user sees what apt or dpkg said rather than an exit code.
 */
export function programFailure(info: ProgramInfo, action: string, error: unknown): unknown {
  if (!(error instanceof ExecaError)) return error
  if (error.code === 'ENOENT') {
    return new BpvmError('PROGRAM_NOT_FOUND', `${info.program} is not installed (install the ${info.debianPackage} package)`, { program: info.program })
  }
  const why = error.timedOut ? `timed out after ${info.timeoutMs / 1000} s` : String(error.stderr ?? '').trim() || error.shortMessage
  return new BpvmError(info.code, `${action} failed: ${why}`, { program: info.program, exitCode: error.exitCode })
}
