import type { ChannelName } from '../../src/shared/api'
import type { Result } from '../../src/shared/result'
import type { ApiBackend } from '../../src/service/apiBackend'

/** What a stand-in for the runtime answers: any channel, any request, any value (the tests choose). */
export type LooseCall = (channel: string, request: unknown) => Promise<Result<unknown>>

/**
 * A typed backend's `call` made from a loose stand-in: tests answer calls with whatever value
 * the case needs, including ones the contract would not give.
 */
export const typedCall = (loose: LooseCall): ApiBackend['call'] => loose as ApiBackend['call']

/**
 * A backend called as a transport would call it with what came off the wire: any channel name
 * and any request, to prove that what does not match the contract is refused.
 */
export const callLoosely = (backend: Pick<ApiBackend, 'call'>, channel: string, request?: unknown): Promise<Result<unknown>> =>
  backend.call(channel as ChannelName, request as never)
