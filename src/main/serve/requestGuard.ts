import type { IncomingMessage } from 'node:http'
import { cookieValues, tokenCookieName, tokenMatches } from './accessToken'

export type Admission = { ok: true; tokenInQuery: boolean } | { ok: false; status: 401 | 403; reason: string }

export interface RequestGuard {
  /**
   * Whether a request (or a WebSocket upgrade, which must name its Origin) may go on. `url` is
   * the request's URL, parsed once by the caller.
   */
  admit(request: IncomingMessage, url: URL, options?: { requireOrigin?: boolean }): Admission
}

export interface GuardSettings {
  token: string
  port: number
  /** Every `host:port` this server answers as (see serveOptions.ownAuthorities). */
  authorities: ReadonlySet<string>
}

/**
 * Every request passes here first. The Host check stops DNS rebinding (a page of another site
 * whose name was pointed at 127.0.0.1); the Origin check stops other sites' pages; the token
 * stops everything else on this machine that can open a socket.
 */
export function createRequestGuard(settings: GuardSettings): RequestGuard {
  const cookieName = tokenCookieName(settings.port)
  const ownOrigins = new Set([...settings.authorities].map((a) => `http://${a}`))

  return {
    admit(request, url, options = {}) {
      const host = request.headers.host?.toLowerCase()
      if (host === undefined || !settings.authorities.has(host)) return { ok: false, status: 403, reason: 'this server does not answer to that Host' }
      const origin = request.headers.origin
      if (origin === undefined ? options.requireOrigin === true : !ownOrigins.has(origin.toLowerCase())) {
        return { ok: false, status: 403, reason: 'requests from other origins are refused' }
      }
      const queryToken = url.searchParams.get('token')
      if (queryToken !== null) {
        return tokenMatches(settings.token, queryToken) ? { ok: true, tokenInQuery: true } : { ok: false, status: 401, reason: 'wrong token' }
      }
      const fromCookie = cookieValues(request.headers.cookie, cookieName).some((value) => tokenMatches(settings.token, value))
      return fromCookie ? { ok: true, tokenInQuery: false } : { ok: false, status: 401, reason: 'a token is required' }
    }
  }
}
