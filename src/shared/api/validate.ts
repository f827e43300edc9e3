import { fail, ok, type Result } from '../result'
import { API_ERROR_CODES, invalidArgument } from './channel'
import { CHANNELS, type ValidCall } from './index'

/**
 * The first thing every transport does with a call: the channel must exist and the request must
 * pass its schema. A malformed call is answered here and never reaches the runtime.
 */
export function validateCall(channel: unknown, request: unknown): Result<ValidCall> {
  const spec = typeof channel === 'string' ? CHANNELS.get(channel) : undefined
  if (!spec) return fail({ code: API_ERROR_CODES.unknownChannel, message: `no such operation: ${String(channel).slice(0, 80)}` })
  const parsed = spec.request.safeParse(request)
  if (!parsed.success) return fail(invalidArgument(spec.name, parsed.error))
  // The spec was found by this very name, and the request passed its schema.
  return ok({ channel: spec.name, request: parsed.data } as ValidCall)
}
