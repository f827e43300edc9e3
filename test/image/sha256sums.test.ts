import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BpvmError } from '../../src/shared/errors'
import { digestFor, fetchSha256Sums, parseSha256Sums } from '../../src/main/runtime/image/sha256sums'
import { startImageServer, type ImageServer } from './imageServer'

const A = 'a'.repeat(64)
const B = 'B'.repeat(64)

describe('parseSha256Sums', () => {
  it('reads binary-mode (`*name`) and text-mode (two spaces) lines, skipping blank ones', () => {
    const sums = parseSha256Sums(`${A} *ubuntu-24.04-server-cloudimg-amd64.img\n\n${B}  ./unpacked name with spaces\r\n`)
    expect([...sums]).toEqual([
      ['ubuntu-24.04-server-cloudimg-amd64.img', A],
      ['unpacked name with spaces', 'b'.repeat(64)]
    ])
  })

  it.each([
    ['an HTML page', '<html><body>Not here</body></html>'],
    ['a short digest', `${'a'.repeat(63)} *file`],
    ['a missing name', `${A}  `],
    ['no separator', `${A}file`],
    ['nothing at all', '\n\n']
  ])('refuses %s', (_what, text) => {
    expect(() => parseSha256Sums(text, 'SUMS')).toThrow(expect.objectContaining({ code: 'SHA256SUMS_INVALID' }))
  })

  it('says which list lacks which file', () => {
    const error = (() => {
      try {
        digestFor(parseSha256Sums(`${A} *one`), 'two', 'http://127.0.0.1/SHA256SUMS')
      } catch (e) {
        return e as BpvmError
      }
    })()
    expect(error?.code).toBe('CHECKSUM_NOT_LISTED')
    expect(error?.message).toBe('http://127.0.0.1/SHA256SUMS has no checksum for two')
  })
})

describe('fetchSha256Sums', () => {
  let server: ImageServer
  beforeAll(async () => {
    server = await startImageServer(new Map([['/r/SHA256SUMS', Buffer.from(`${A} *disk.img\n`)]]))
  })
  afterAll(async () => server.close())

  it('fetches and parses the list', async () => {
    expect((await fetchSha256Sums(`${server.origin}/r/SHA256SUMS`)).get('disk.img')).toBe(A)
  })

  it('turns a 404 into DOWNLOAD_FAILED with the status', async () => {
    await expect(fetchSha256Sums(`${server.origin}/nope/SHA256SUMS`)).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED', details: { status: 404 } })
  })

  it('refuses a list far larger than any checksum file', async () => {
    server.files.set('/big/SHA256SUMS', Buffer.alloc(2 * 1024 * 1024, 0x61))
    await expect(fetchSha256Sums(`${server.origin}/big/SHA256SUMS`)).rejects.toMatchObject({ code: 'SHA256SUMS_INVALID' })
  })
})
