import { z } from 'zod'
import type { ErrorInfo, Result } from '../result'

/**
 * One operation of the API: its channel name (`domain:verb`) and the schema its request must
 * pass before anything runs. The response type rides along for the typed clients.
 */
export interface ChannelSpec<Req, Res> {
  readonly name: string
  readonly request: z.ZodType<Req>
  /** Never set: carries the response type. */
  readonly response?: Res
}

export function channel<Req, Res>(name: string, request: z.ZodType<Req>): ChannelSpec<Req, Res> {
  return { name, request }
}

/** For operations that take nothing: `undefined` or an empty object (what a JSON transport sends for "nothing"). */
export const noRequest: z.ZodType<undefined> = z.union([z.undefined(), z.null(), z.object({}).strict()]).transform(() => undefined)

type Call<S> =
  S extends ChannelSpec<infer Req, infer Res>
    ? [Req] extends [undefined]
      ? () => Promise<Result<Res>>
      : undefined extends Req
        ? (request?: Req) => Promise<Result<Res>>
        : (request: Req) => Promise<Result<Res>>
    : never

/** What a client of one domain looks like: `verb(request) → Promise<Result<response>>`. */
export type DomainClient<D> = { [Verb in keyof D]: Call<D[Verb]> }

export type RequestOf<S> = S extends ChannelSpec<infer Req, unknown> ? Req : never
export type ResponseOf<S> = S extends { readonly response?: infer Res } ? Res : never

/** Stable codes the API itself gives; the runtime adds its own (INSTANCE_EXISTS, DISK_FULL, …). */
export const API_ERROR_CODES = {
  /** The request did not match the operation's schema; nothing ran. */
  invalidArgument: 'INVALID_ARGUMENT',
  /** No such channel. */
  unknownChannel: 'UNKNOWN_CHANNEL',
  /** The call came from a page or origin that is not the app's own. */
  forbidden: 'FORBIDDEN_SENDER',
  /** The runtime worker stopped while the call was in flight (it is restarted). */
  backendRestarted: 'BACKEND_RESTARTED',
  /** The runtime worker could not be reached. */
  backendUnavailable: 'BACKEND_UNAVAILABLE',
  /** A connection already has as many calls in flight as it may; nothing ran. */
  tooManyCalls: 'TOO_MANY_CALLS',
  internal: 'INTERNAL'
} as const

/** The envelope for a request that failed its schema: every problem, with the path of the field. */
export function invalidArgument(channelName: string, error: z.ZodError): ErrorInfo {
  const problems = error.issues.map((issue) => ({ field: issue.path.join('.') || '(request)', message: issue.message }))
  const first = problems[0]
  return {
    code: API_ERROR_CODES.invalidArgument,
    message: `${channelName}: ${first ? `${first.field}: ${first.message}` : 'invalid request'}`,
    details: { channel: channelName, problems }
  }
}
