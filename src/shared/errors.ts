import type { ErrorCode } from './errorCodes'
import type { ErrorInfo } from './result'

/**
 * The one error type the runtime throws internally. It carries a stable code and,
 * where the input was at fault, the name of the field, so every host (CLI, IPC, HTTP)
 * can turn it into data without guessing.
 */
export class BpvmError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>
  ) {
    super(message)
    this.name = 'BpvmError'
  }

  toInfo(): ErrorInfo {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message }
  }
}

/** An input that fails validation; the message always starts with the field's name. */
export function invalidInput(field: string, problem: string): BpvmError {
  return new BpvmError('INVALID_INPUT', `${field}: ${problem}`, { field })
}

/** Turns anything thrown into error data; unknown errors keep their message under `INTERNAL`. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof BpvmError) return error.toInfo()
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message }
  return { code: 'INTERNAL', message: String(error) }
}
