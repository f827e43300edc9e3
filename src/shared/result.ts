import type { ErrorCode } from './errorCodes'

/** Errors cross every boundary (worker, CLI, IPC, HTTP) as data, never as thrown objects. */
export interface ErrorInfo {
  /** Stable, machine-readable code, e.g. `INVALID_INPUT`, `SOURCE_NOT_FOUND`: one of the catalogue's. */
  code: ErrorCode
  message: string
  details?: Record<string, unknown>
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = <T = never>(error: ErrorInfo): Result<T> => ({ ok: false, error })
