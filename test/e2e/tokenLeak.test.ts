import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { describeWithPrograms } from '../support/prerequisites'
import { tryUpgrade, useTestServer } from '../serve/serverHarness'
import { launchChromium } from './chromium'

/**
 * Cookies belong to a host, not a port: once the UI is open, a page of any other program on
 * 127.0.0.1 receives the serve cookie. It must not open the API with it, from the browser or
 * by replaying it with a forged Origin.
 */
describeWithPrograms(['chromium'], 'the serve token and other local servers (Chromium)', () => {
  const { start } = useTestServer()
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((r) => server.close(r))
  })

  /** Another local program's web server: records the headers each request brought, serves an empty page. */
  async function otherLocalServer(): Promise<{ port: number; seen: IncomingHttpHeaders[] }> {
    const seen: IncomingHttpHeaders[] = []
    const server = createServer((request, response) => {
      seen.push(request.headers)
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>another local program</title>')
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { port: (server.address() as AddressInfo).port, seen }
  }

  it("a page on another local port gets the cookie, yet neither it nor a replay of the cookie opens the API", async () => {
    const serve = await start()
    const other = await otherLocalServer()
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.goto(serve.server.url)
      // The token left the address bar at once (the fake page has no script, so the fragment is what the redirect gave).
      expect(page.url()).toBe(`http://127.0.0.1:${serve.port}/#token=${serve.token}`)
      await page.goto(`http://127.0.0.1:${other.port}/`)
      const cookie = String(other.seen.at(-1)?.cookie ?? '')
      // The leak the cookie cannot avoid: the other program now holds it.
      expect(cookie).toContain(`bpvm_token_${serve.port}=${serve.token}`)

      // From that page, in the browser: refused (its Origin, and no token offered).
      const fromPage = await page.evaluate(
        (url) => new Promise<string>((resolve) => {
          const socket = new WebSocket(url)
          socket.onopen = () => resolve('opened')
          socket.onerror = () => resolve('refused')
        }),
        `ws://127.0.0.1:${serve.port}/api`
      )
      expect(fromPage).toBe('refused')
      // From the other program, replaying the cookie with our own Origin forged: still refused.
      expect(await tryUpgrade(`ws://127.0.0.1:${serve.port}/api`, { Cookie: cookie }, serve.origin)).toEqual({ status: 401 })
      expect(await tryUpgrade(`ws://127.0.0.1:${serve.port}/api`, { Cookie: cookie }, serve.origin, ['bpvm'])).toEqual({ status: 401 })
      // Only the token itself opens it.
      const opened = await tryUpgrade(`ws://127.0.0.1:${serve.port}/api`, {}, serve.origin, serve.protocols)
      expect('opened' in opened).toBe(true)
      if ('opened' in opened) opened.opened.socket.terminate()
    } finally {
      await browser.close()
    }
  }, 60_000)
})
