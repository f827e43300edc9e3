import { BpvmError } from '../../../../shared/errors'
import type { ChEndpoint } from './apiTypes'

/**
 * The server's error chain, outermost first and root cause last. Most errors are a JSON array of
 * strings; micro_http's own framing errors are `{ "error": "..." }` with a raw newline (not JSON).
 */
export function parseErrorChain(body: string): string[] {
  const text = body.trim()
  if (text === '') return []
  try {
    const parsed: unknown = JSON.parse(text)
    if (Array.isArray(parsed)) return parsed.map(String)
    if (parsed && typeof parsed === 'object' && 'error' in parsed) return [String(parsed.error)]
  } catch {
    const framing = /"error"\s*:\s*"([\s\S]*)"\s*}\s*$/.exec(text)
    if (framing?.[1]) return framing[1].split('\n').map((l) => l.trim()).filter((l) => l !== '')
  }
  return [text.slice(0, 500)]
}

/** A non-2xx answer. The status alone says little (it changed between versions): the chain says why. */
export function apiError(endpoint: ChEndpoint, status: number, body: string): BpvmError {
  const errorChain = parseErrorChain(body)
  const why = errorChain.length > 0 ? errorChain.join(': ') : 'no error details'
  return new BpvmError('CH_API_ERROR', `cloud-hypervisor ${endpoint} failed (HTTP ${status}): ${why}`, { endpoint, status, errorChain })
}

export function apiTimeout(endpoint: ChEndpoint, timeoutMs: number): BpvmError {
  return new BpvmError('CH_API_TIMEOUT', `cloud-hypervisor did not answer ${endpoint} within ${timeoutMs / 1000} s`, { endpoint, timeoutMs })
}

/** The socket is missing, refused, or closed before an answer came: usually the VMM is gone or going. */
export function apiUnreachable(endpoint: ChEndpoint, error: unknown): BpvmError {
  const cause = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  return new BpvmError('CH_API_UNREACHABLE', `cloud-hypervisor did not answer ${endpoint}: ${message}`, {
    endpoint,
    ...(typeof cause === 'string' ? { cause } : {})
  })
}

export const isApiError = (error: unknown, code: 'CH_API_ERROR' | 'CH_API_TIMEOUT' | 'CH_API_UNREACHABLE'): error is BpvmError =>
  error instanceof BpvmError && error.code === code
