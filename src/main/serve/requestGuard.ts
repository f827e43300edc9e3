import type { IncomingMessage } from 'node:http'
import { cookieValues, subprotocolToken, tokenCookieName, tokenMatches } from './accessToken'

export type Admission = { ok: true; tokenInQuery: boolean } | { ok: false; status: 401 | 403; reason: string }

export interface RequestGuard {
  /** Whether a request for the page's files may go on: the token in the query (the first load) or the cookie. `url` is parsed once by the caller. */
  admit(request: IncomingMessage, url: URL): Admission
  /**
   * Whether a WebSocket upgrade may go on: it must name our Origin and offer the token as a
   * subprotocol. Neither the cookie nor a token in the URL is enough.
   */
  admitSocket(request: IncomingMessage): Admission
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

  /** Host stops DNS rebinding; Origin stops other sites' pages (a socket must name one: browsers always do). */
  function placeCheck(request: IncomingMessage, requireOrigin: boolean): Admission | undefined {
    const host = request.headers.host?.toLowerCase()
    if (host === undefined || !settings.authorities.has(host)) return { ok: false, status: 403, reason: 'this server does not answer to that Host' }
    const origin = request.headers.origin
    if (origin === undefined ? requireOrigin : !ownOrigins.has(origin.toLowerCase())) return { ok: false, status: 403, reason: 'requests from other origins are refused' }
    return undefined
  }

  return {
    admit(request, url) {
      const refused = placeCheck(request, false)
      if (refused) return refused
      const queryToken = url.searchParams.get('token')
      if (queryToken !== null) {
        return tokenMatches(settings.token, queryToken) ? { ok: true, tokenInQuery: true } : { ok: false, status: 401, reason: 'wrong token' }
      }
      const fromCookie = cookieValues(request.headers.cookie, cookieName).some((value) => tokenMatches(settings.token, value))
      return fromCookie ? { ok: true, tokenInQuery: false } : { ok: false, status: 401, reason: 'a token is required' }
    },
    admitSocket(request) {
      const refused = placeCheck(request, true)
      if (refused) return refused
      const offered = subprotocolToken(request.headers['sec-websocket-protocol'])
      if (offered === undefined) return { ok: false, status: 401, reason: 'the API socket must offer the token as a subprotocol' }
      return tokenMatches(settings.token, offered) ? { ok: true, tokenInQuery: false } : { ok: false, status: 401, reason: 'wrong token' }
    }
  }
}
