import { Agent, interceptors, request, type Dispatcher } from 'undici'
import { BpvmError } from '../../../shared/errors'

/** HTTP(S) GETs for image downloads: one connection pool, redirects followed, timeouts that catch a stalled link. */

// Only a silence this long counts as stalled; a slow but moving download is never cut.
const IDLE_TIMEOUT_MS = 60_000
const MAX_REDIRECTIONS = 5

let shared: Dispatcher | undefined
// Created on first use, so merely loading this module opens nothing.
const dispatcher = (): Dispatcher =>
  (shared ??= new Agent({ headersTimeout: IDLE_TIMEOUT_MS, bodyTimeout: IDLE_TIMEOUT_MS }).compose(
    interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS })
  ))

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Dispatcher.ResponseData['body']
}

/** Refuses anything but http(s) before a request is made. */
export function checkHttpUrl(url: string, field: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new BpvmError('INVALID_INPUT', `${field}: ${JSON.stringify(url)} is not a URL`, { field })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BpvmError('INVALID_INPUT', `${field}: only http and https URLs are supported, got ${parsed.protocol}`, { field })
  }
  return parsed
}

/** One GET; the caller reads or dumps the body. Identity encoding, so byte offsets are file offsets. */
export async function httpGet(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse> {
  const response = await request(url, {
    method: 'GET',
    headers: { 'accept-encoding': 'identity', ...headers },
    dispatcher: dispatcher(),
    ...(signal ? { signal } : {})
  })
  return { status: response.statusCode, headers: response.headers, body: response.body }
}

export function headerText(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The body length the server announced, when it did. */
export function contentLength(response: HttpResponse): number | undefined {
  const text = headerText(response, 'content-length')
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined
}

/** `Content-Range: bytes <first>-<last>/<total or *>` of a 206. */
export function contentRange(response: HttpResponse): { first: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(headerText(response, 'content-range')?.trim() ?? '')
  if (!match) return undefined
  return match[3] === '*' ? { first: Number(match[1]) } : { first: Number(match[1]), total: Number(match[3]) }
}

/**
 * A small body (a checksum list, a release file) read whole into memory, at most `maxBytes`:
 * past that the download stops and `tooLarge` says what the answer cannot be.
 */
export async function readSmallBody(response: HttpResponse, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of response.body) {
    bytes += (chunk as Buffer).length
    if (bytes > maxBytes) {
      response.body.destroy()
      throw tooLarge()
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Statuses worth asking again for: the server may be back in a moment. */
export const isTransientStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

export function httpStatusError(url: string, status: number): BpvmError {
  const hint = status === 404 ? ' (not found: is the release or mirror URL right?)' : ''
  return new BpvmError('DOWNLOAD_FAILED', `GET ${url} answered HTTP ${status}${hint}`, { url, status })
}

/** Turns an abort into our error, so callers see one code however the cancel arrived. */
export function cancelled(what: string): BpvmError {
  return new BpvmError('CANCELLED', `${what} was cancelled`)
}
