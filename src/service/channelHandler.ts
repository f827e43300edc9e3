import type { ChannelName, ChannelResponse, ChannelSpec } from '../shared/api'
import type { Result } from '../shared/result'

/** Runs one channel's operation on a request its schema has already accepted. */
export type Handler = (request: unknown) => Promise<unknown>

export type HandlerEntry = readonly [channel: string, handler: Handler]

/**
 * Binds a channel to its implementation, typed by the channel's own request and response.
 * The cast is sound because every call goes through `validateCall` (the channel's schema) first.
 */
export function handle<Req, Res>(spec: ChannelSpec<Req, Res>, run: (request: Req) => Promise<Res>): HandlerEntry {
  return [spec.name, (request) => run(request as Req)]
}

/**
 * A channel's answer, typed by its channel. Sound for whatever a handler bound with `handle`
 * returned (the response type is the spec's own), and for the worker's answers to such calls.
 */
export const answerOf = <C extends ChannelName>(result: Result<unknown>): Result<ChannelResponse<C>> => result as Result<ChannelResponse<C>>
