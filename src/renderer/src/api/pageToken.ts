/**
 * The serve token, for a page served by `bpvm serve`. The server's first answer puts it in the
 * URL's fragment (`#token=…`); the page keeps it in this tab's session storage (so a reload
 * still has it) and takes it out of the address bar at once. It goes to the server only as a
 * WebSocket subprotocol: a cookie alone is never enough for the API.
 */

const STORAGE_KEY = 'bpvm.serveToken'
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/

export interface PageTokenPlace {
  location: { hash: string; pathname: string; search: string }
  history: { replaceState(data: unknown, unused: string, url: string): void }
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void }
}

export function takePageToken(place: PageTokenPlace): string | undefined {
  const fragment = new URLSearchParams(place.location.hash.replace(/^#/, ''))
  const fromUrl = fragment.get('token')
  if (fromUrl !== null) {
    fragment.delete('token')
    const rest = fragment.toString()
    place.history.replaceState(null, '', `${place.location.pathname}${place.location.search}${rest ? `#${rest}` : ''}`)
    if (TOKEN.test(fromUrl)) place.storage.setItem(STORAGE_KEY, fromUrl)
  }
  const kept = place.storage.getItem(STORAGE_KEY)
  return kept !== null && TOKEN.test(kept) ? kept : undefined
}

/** What the page offers when it opens the API socket: the protocol, and the token beside it. */
export function apiSocketProtocols(token: string | undefined): string[] {
  return token === undefined ? ['bpvm'] : ['bpvm', `bpvm-token.${token}`]
}
