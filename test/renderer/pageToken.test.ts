import { describe, expect, it } from 'vitest'
import { apiSocketProtocols, takePageToken, type PageTokenPlace } from '../../src/renderer/src/api/pageToken'

function place(url: string): PageTokenPlace & { url: () => string; stored: Map<string, string> } {
  let current = new URL(url)
  const stored = new Map<string, string>()
  return {
    get location() {
      return { hash: current.hash, pathname: current.pathname, search: current.search }
    },
    history: { replaceState: (_data, _unused, next) => void (current = new URL(next, current)) },
    storage: { getItem: (key) => stored.get(key) ?? null, setItem: (key, value) => void stored.set(key, value) },
    url: () => current.href,
    stored
  }
}

const TOKEN = 'A'.repeat(43)

describe("the serve token in the page", () => {
  it('takes it from the fragment into the tab, out of the address bar, keeping the rest of the URL', () => {
    const tab = place(`http://127.0.0.1:7420/index.html?view=host#token=${TOKEN}`)
    expect(takePageToken(tab)).toBe(TOKEN)
    expect(tab.url()).toBe('http://127.0.0.1:7420/index.html?view=host')
    // A reload (no fragment any more) still has it.
    expect(takePageToken(tab)).toBe(TOKEN)
  })

  it('has none without one, and ignores one that is not a token', () => {
    expect(takePageToken(place('http://127.0.0.1:7420/'))).toBeUndefined()
    const tab = place('http://127.0.0.1:7420/#token=<script>&x=1')
    expect(takePageToken(tab)).toBeUndefined()
    expect(tab.url()).toBe('http://127.0.0.1:7420/#x=1')
  })

  it('offers it as a subprotocol beside bpvm', () => {
    expect(apiSocketProtocols(TOKEN)).toEqual(['bpvm', `bpvm-token.${TOKEN}`])
    expect(apiSocketProtocols(undefined)).toEqual(['bpvm'])
  })
})
