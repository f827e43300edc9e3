import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { serialize as serializeCookie } from 'cookie'

/** 32 random bytes, URL-safe: the one secret between `bpvm serve` and the browser it printed the URL for. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url')
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/** Constant-time comparison; hashing first makes the time independent of the length too. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false
  return timingSafeEqual(digest(expected), digest(given))
}

/**
 * The API socket's subprotocols: the page offers `bpvm` and `bpvm-token.<token>`, the server
 * answers `bpvm`. The token travels in a header the page sets itself, never in a URL, and a
 * cookie (which a browser also sends to every other server on the same host) is not enough.
 */
export const API_SUBPROTOCOL = 'bpvm'
export const TOKEN_SUBPROTOCOL_PREFIX = 'bpvm-token.'

/** The token a WebSocket upgrade offers in its subprotocols, or undefined. */
export function subprotocolToken(header: string | string[] | undefined): string | undefined {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim())
  const carrying = offered.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
  return carrying === undefined ? undefined : carrying.slice(TOKEN_SUBPROTOCOL_PREFIX.length)
}

/**
 * Cookies are per host, not per port: the port in the name keeps two servers on one machine
 * (or a stale cookie of an earlier run on another port) from overwriting each other.
 */
export const tokenCookieName = (port: number): string => `bpvm_token_${port}`

/**
 * For the page's files only, never the API. HttpOnly: no script reads it; SameSite=Strict: no
 * other site's page sends it (but every port of this host is the same site, see API_SUBPROTOCOL).
 */
export function tokenCookie(port: number, token: string): string {
  return serializeCookie(tokenCookieName(port), token, { path: '/', httpOnly: true, sameSite: 'strict' })
}

/**
 * Every value the Cookie header gives for `name` (a browser may send more than one: a stale one
 * of an earlier run beside the current one). Written here because the `cookie` package's parser
 * keeps the first value of a name only, and the current token may be any of them.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return []
  const values: string[] = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim())
  }
  return values
}
