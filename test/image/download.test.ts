import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { downloadFile, type DownloadProgress } from '../../src/main/runtime/image/download'
import { BpvmError } from '../../src/shared/errors'
import { useTempDirs } from '../support/tempDirs'
import { startImageServer, type ImageServer } from './imageServer'
import { MiB, sha256 } from './ubuntuFixture'

const BLOB = randomBytes(4 * MiB + 12_345)
const BLOB_PATH = '/files/blob.bin'
const HALF = Math.floor(BLOB.length / 2)

describe('downloadFile', () => {
  const tempDir = useTempDirs('bpvm-download-')
  let server: ImageServer
  const url = (): string => `${server.origin}${BLOB_PATH}`

  beforeAll(async () => {
    server = await startImageServer(new Map([[BLOB_PATH, BLOB]]))
  })
  afterAll(async () => server.close())
  beforeEach(() => {
    server.requests.length = 0
    server.ignoreRange = false
  })

  /** Waits until the server's stalled half is on disk. */
  const partialReaches = async (path: string, bytes: number): Promise<void> => {
    const deadline = Date.now() + 10_000
    while ((await stat(`${path}.partial`).catch(() => undefined))?.size !== bytes) {
      if (Date.now() > deadline) throw new Error(`${path}.partial never reached ${bytes} bytes`)
      await sleep(10)
    }
  }

  const failure = async (work: Promise<unknown>): Promise<BpvmError> => {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(BpvmError)
    return error as BpvmError
  }

  it('streams the file to disk with progress, verifies it and renames it into place', async () => {
    const path = join(await tempDir(), 'blob.bin')
    const events: DownloadProgress[] = []
    const result = await downloadFile({ url: url(), path, sha256: sha256(BLOB), onProgress: (p) => events.push(p) })
    expect(sha256(await readFile(path))).toBe(sha256(BLOB))
    expect(result).toMatchObject({ path, bytes: BLOB.length, sha256: sha256(BLOB), resumedBytes: 0, attempts: 1 })
    expect(events[0]).toMatchObject({ file: 'blob.bin', bytes: 0, total: BLOB.length, percent: 0 })
    expect(events.at(-1)).toEqual({ file: 'blob.bin', bytes: BLOB.length, total: BLOB.length, percent: 100 })
    const bytes = events.map((e) => e.bytes)
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b))
    expect(await readdir(join(path, '..'))).toEqual(['blob.bin'])
  })

  it('resumes with Range after the server drops the connection halfway, and verifies the whole file', async () => {
    const path = join(await tempDir(), 'blob.bin')
    server.cutOnce.set(BLOB_PATH, HALF)
    const result = await downloadFile({ url: url(), path, sha256: sha256(BLOB), retryDelayMs: 10 })
    expect(sha256(await readFile(path))).toBe(sha256(BLOB))
    const [first, second] = server.requestsFor(BLOB_PATH)
    expect(first).toMatchObject({ status: 200 })
    expect(first?.range).toBeUndefined()
    // The second request asks only for what is missing, guarded by the ETag of the first.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(second?.range ?? '')?.[1])
    expect(resumedAt).toBeGreaterThan(0)
    expect(resumedAt).toBeLessThanOrEqual(HALF)
    expect(second).toMatchObject({ status: 206, ifRange: expect.stringMatching(/^"/) })
    expect(result.attempts).toBe(2)
  })

  it('resumes a download another call left behind (cancelled halfway), hashing the bytes already on disk', async () => {
    const path = join(await tempDir(), 'blob.bin')
    server.stallOnce.set(BLOB_PATH, HALF)
    const cancel = new AbortController()
    const download = downloadFile({ url: url(), path, sha256: sha256(BLOB), signal: cancel.signal })
    await partialReaches(path, HALF)
    cancel.abort()
    const error = await failure(download)
    expect(error.code).toBe('CANCELLED')
    expect(existsSync(path)).toBe(false)
    expect((await readFile(`${path}.partial`)).length).toBe(HALF)

    const result = await downloadFile({ url: url(), path, sha256: sha256(BLOB) })
    expect(result.resumedBytes).toBe(HALF)
    expect(server.requestsFor(BLOB_PATH).at(-1)).toMatchObject({ range: `bytes=${HALF}-`, status: 206 })
    expect(sha256(await readFile(path))).toBe(sha256(BLOB))
    expect(existsSync(`${path}.partial`) || existsSync(`${path}.partial.json`)).toBe(false)
  })

  it('starts over cleanly when the server ignores Range and sends the whole file again', async () => {
    const path = join(await tempDir(), 'blob.bin')
    server.cutOnce.set(BLOB_PATH, HALF)
    server.ignoreRange = true
    const result = await downloadFile({ url: url(), path, sha256: sha256(BLOB), retryDelayMs: 10 })
    const [, second] = server.requestsFor(BLOB_PATH)
    expect(second?.range).toMatch(/^bytes=\d+-$/)
    expect(second?.status).toBe(200)
    // Appending the full body to the half would have failed the checksum.
    expect(sha256(await readFile(path))).toBe(sha256(BLOB))
    expect(result.bytes).toBe(BLOB.length)
  })

  it('does not resume a partial file that belongs to another download', async () => {
    const path = join(await tempDir(), 'blob.bin')
    server.stallOnce.set(BLOB_PATH, HALF)
    const cancel = new AbortController()
    const other = sha256(Buffer.from('another file'))
    const download = downloadFile({ url: url(), path, sha256: other, signal: cancel.signal })
    await partialReaches(path, HALF)
    cancel.abort()
    expect((await failure(download)).code).toBe('CANCELLED')
    const result = await downloadFile({ url: url(), path, sha256: sha256(BLOB) })
    expect(result.resumedBytes).toBe(0)
    expect(server.requestsFor(BLOB_PATH).at(-1)?.range).toBeUndefined()
    expect(sha256(await readFile(path))).toBe(sha256(BLOB))
  })

  it('discards a file whose checksum does not match, naming the file and both digests', async () => {
    const path = join(await tempDir(), 'blob.bin')
    const expected = sha256(Buffer.from('what the release said'))
    const error = await failure(downloadFile({ url: url(), path, sha256: expected }))
    expect(error.code).toBe('CHECKSUM_MISMATCH')
    expect(error.message).toContain('blob.bin')
    expect(error.message).toContain(expected)
    expect(error.message).toContain(sha256(BLOB))
    expect(error.details).toMatchObject({ file: 'blob.bin', expected, actual: sha256(BLOB) })
    expect(await readdir(join(path, '..'))).toEqual([])
  })

  it('reports HTTP 404 as a clear error, without retrying and without leaving a file', async () => {
    const path = join(await tempDir(), 'missing.bin')
    const missing = `${server.origin}/files/missing.bin`
    const error = await failure(downloadFile({ url: missing, path, sha256: sha256(BLOB) }))
    expect(error.code).toBe('DOWNLOAD_FAILED')
    expect(error.message).toContain(`GET ${missing} answered HTTP 404`)
    expect(error.details).toMatchObject({ status: 404 })
    expect(server.requestsFor('/files/missing.bin')).toHaveLength(1)
    expect(await readdir(join(path, '..'))).toEqual([])
  })

  it('asks again after a transient 503', async () => {
    const path = join(await tempDir(), 'blob.bin')
    server.statusOnce.set(BLOB_PATH, 503)
    const result = await downloadFile({ url: url(), path, sha256: sha256(BLOB), retryDelayMs: 10 })
    expect(server.requestsFor(BLOB_PATH).map((r) => r.status)).toEqual([503, 200])
    expect(result.attempts).toBe(2)
  })

  it('gives up with DOWNLOAD_FAILED when nothing answers', async () => {
    const path = join(await tempDir(), 'blob.bin')
    // A port nothing listens on: the connection is refused at once.
    const dead = await startImageServer()
    const deadUrl = `${dead.origin}/x`
    await dead.close()
    const error = await failure(downloadFile({ url: deadUrl, path, sha256: sha256(BLOB), retries: 2, retryDelayMs: 5 }))
    expect(error.code).toBe('DOWNLOAD_FAILED')
    expect(error.message).toContain('after 3 attempts')
  })

  it('refuses URLs that are not http(s) and digests that are not SHA-256', async () => {
    const path = join(await tempDir(), 'x')
    expect((await failure(downloadFile({ url: 'file:///etc/passwd', path, sha256: sha256(BLOB) }))).code).toBe('INVALID_INPUT')
    expect((await failure(downloadFile({ url: url(), path, sha256: 'abc' }))).message).toMatch(/^sha256: /)
  })
})
