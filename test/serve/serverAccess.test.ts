import { describe, expect, it } from 'vitest'
import { parseServeOptions, remoteWarning } from '../../src/main/serve/serveOptions'
import { httpGet, PAGE, SECRET, tryUpgrade, useTestServer } from './serverHarness'

describe('bpvm serve: who may load the page and open the API', () => {
  const { start } = useTestServer()

  it('answers 401 without the token: the page, its assets and the API socket alike', async () => {
    const { port, origin } = await start()
    for (const path of ['/', '/index.html', '/assets/app.js', '/api']) {
      const answer = await httpGet(port, path)
      expect(answer.status, path).toBe(401)
      expect(answer.body).not.toContain('id="app"')
    }
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/api`, {}, origin)).toEqual({ status: 401 })
  })

  it('answers 401 to a wrong token, in the query or in the cookie', async () => {
    const { port, origin, token } = await start()
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
    expect((await httpGet(port, `/?token=${wrong}`)).status).toBe(401)
    expect((await httpGet(port, '/?token=')).status).toBe(401)
    expect((await httpGet(port, '/', { Cookie: `bpvm_token_${port}=${wrong}` })).status).toBe(401)
    // A cookie of another port's server is not ours.
    expect((await httpGet(port, '/', { Cookie: `bpvm_token_${port + 1}=${token}` })).status).toBe(401)
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/api`, {}, origin, ['bpvm', `bpvm-token.${wrong}`])).toEqual({ status: 401 })
  })

  it("never opens the API on the cookie alone (every port of this host gets it), nor on a token in the socket's URL", async () => {
    const { port, origin, token, cookie, protocols } = await start()
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/api`, { Cookie: cookie }, origin)).toEqual({ status: 401 })
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/api`, { Cookie: cookie }, origin, ['bpvm'])).toEqual({ status: 401 })
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/api?token=${token}`, { Cookie: cookie }, origin)).toEqual({ status: 401 })
    // The page offers the token as a subprotocol; the answer names only `bpvm`, never echoing the token.
    const opened = await tryUpgrade(`ws://127.0.0.1:${port}/api`, {}, origin, protocols)
    expect('opened' in opened).toBe(true)
    if ('opened' in opened) {
      expect(opened.opened.socket.protocol).toBe('bpvm')
      opened.opened.socket.terminate()
    }
  })

  it("takes the token from the printed URL once: sets an HttpOnly SameSite=Strict cookie (for the page's files) and redirects with the token in the fragment only", async () => {
    const { server, port, token } = await start()
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${token}`)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const first = await httpGet(port, `/?token=${token}`)
    expect(first.status).toBe(303)
    expect(first.headers.location).toBe(`/#token=${token}`)
    expect(first.headers['set-cookie']).toEqual([`bpvm_token_${port}=${token}; Path=/; HttpOnly; SameSite=Strict`])
    // Other query parameters survive the redirect.
    expect((await httpGet(port, `/index.html?view=host&token=${token}`)).headers.location).toBe(`/index.html?view=host#token=${token}`)
    // Never to another site.
    expect((await httpGet(port, `//evil.example/?token=${token}`)).headers.location).toBe(`/evil.example/#token=${token}`)

    const page = await httpGet(port, '/', { Cookie: `other=1; bpvm_token_${port}=${token}` })
    expect(page.status).toBe(200)
    expect(page.body).toBe(PAGE)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['set-cookie']).toBeUndefined()
    const script = await httpGet(port, '/assets/app.js', { Cookie: `bpvm_token_${port}=${token}` })
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
  })

  it('sends the security headers, and no CORS header at all', async () => {
    const { port, cookie } = await start()
    for (const answer of [await httpGet(port, '/', { Cookie: cookie }), await httpGet(port, '/')]) {
      expect(answer.headers['content-security-policy']).toContain("default-src 'self'")
      expect(answer.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${port}`)
      expect(answer.headers['content-security-policy']).toContain("script-src 'self';")
      expect(answer.headers['content-security-policy']).not.toContain('unsafe-inline')
      expect(answer.headers['x-content-type-options']).toBe('nosniff')
      expect(answer.headers['referrer-policy']).toBe('no-referrer')
      expect(answer.headers['x-frame-options']).toBe('DENY')
      expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
    }
    const preflight = await httpGet(port, '/', { Origin: `http://127.0.0.1:${port}`, 'Access-Control-Request-Method': 'GET', Cookie: cookie }, 'OPTIONS')
    expect(preflight.status).toBe(405)
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
  })

  it('answers 403 to another origin, even with the token, over HTTP and for the socket', async () => {
    const { port, cookie, token, origin, protocols } = await start()
    for (const other of ['http://evil.example', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, 'null']) {
      expect((await httpGet(port, '/', { Cookie: cookie, Origin: other })).status, other).toBe(403)
      expect((await httpGet(port, `/?token=${token}`, { Origin: other })).status, other).toBe(403)
      expect(await tryUpgrade(`ws://127.0.0.1:${port}/api`, {}, other, protocols), other).toEqual({ status: 403 })
    }
    // A socket must name its origin: browsers always do.
    expect(await tryUpgrade(`ws://127.0.0.1:${port}/api`, {}, undefined, protocols)).toEqual({ status: 403 })
    // Our own origin, under either loopback name, is fine.
    expect((await httpGet(port, '/', { Cookie: cookie, Origin: origin })).status).toBe(200)
    expect((await httpGet(port, '/', { Cookie: cookie, Origin: `http://localhost:${port}`, Host: `localhost:${port}` })).status).toBe(200)
    const opened = await tryUpgrade(`ws://127.0.0.1:${port}/api`, {}, `http://localhost:${port}`, protocols)
    expect('opened' in opened).toBe(true)
    if ('opened' in opened) opened.opened.socket.terminate()
  })

  it('answers 403 to a Host that is not ours (DNS rebinding)', async () => {
    const { port, cookie } = await start()
    expect((await httpGet(port, '/', { Cookie: cookie, Host: `rebind.example:${port}` })).status).toBe(403)
    expect((await httpGet(port, '/', { Cookie: cookie, Host: `127.0.0.1:${port + 1}` })).status).toBe(403)
  })

  it('serves files from the renderer folder only: no way out through .., encodings, backslashes or symlinks', async () => {
    const { port, cookie } = await start()
    const paths = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/assets/link.txt',
      '/%00',
      '/%E0%A4%A',
      '//etc/passwd',
      '/assets',
      '/missing.js'
    ]
    for (const path of paths) {
      const answer = await httpGet(port, path, { Cookie: cookie })
      expect([400, 404], path).toContain(answer.status)
      expect(answer.body, path).not.toContain(SECRET)
    }
  })

  it('refuses other methods than GET and HEAD', async () => {
    const { port, cookie } = await start()
    expect((await httpGet(port, '/', { Cookie: cookie }, 'POST')).status).toBe(405)
    const head = await httpGet(port, '/', { Cookie: cookie }, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(PAGE)))
  })
})

describe('bpvm serve options', () => {
  it('binds to 127.0.0.1 by default', () => {
    expect(parseServeOptions({})).toEqual({ host: '127.0.0.1', port: 7420, allowRemote: false })
    expect(parseServeOptions({ port: '0' }).port).toBe(0)
  })

  it('refuses a host other machines can reach unless --allow-remote is given', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.com']) {
      expect(() => parseServeOptions({ host }), host).toThrow(expect.objectContaining({ code: 'REMOTE_NOT_ALLOWED', message: expect.stringContaining('--allow-remote') }))
      expect(parseServeOptions({ host, allowRemote: true }).host).toBe(host)
    }
    for (const host of ['localhost', '127.0.0.2', '::1', '::ffff:127.0.0.1']) expect(parseServeOptions({ host }).host).toBe(host)
    expect(remoteWarning('0.0.0.0')).toMatch(/anyone who can reach .* and has the token controls your VMs/)
  })

  it('names the flag of a bad value', () => {
    expect(() => parseServeOptions({ port: '70000' })).toThrow('--port: must be a number from 0 to 65535')
    expect(() => parseServeOptions({ port: 'http' })).toThrow('--port: must be a number from 0 to 65535')
    expect(() => parseServeOptions({ host: 'a b' })).toThrow('--host: must be an IP address or a host name')
  })
})
