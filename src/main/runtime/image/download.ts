import { createHash } from 'node:crypto'
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { syncPath } from './devGuest/devGuestCache'
import { cancelled, checkHttpUrl, contentLength, contentRange, headerText, httpGet, httpStatusError, isTransientStatus, type HttpResponse } from './httpClient'
import { discardPartial, openPartial, partialPath, removePartialMeta, savePartialMeta, syncedHash, type PartialFile, type PartialMeta } from './partialDownload'

export interface DownloadProgress {
  /** Name of the file being downloaded. */
  file: string
  /** Bytes on disk so far, including any resumed from an earlier attempt. */
  bytes: number
  total?: number
  percent?: number
}

export interface DownloadRequest {
  url: string
  /** Where the verified file goes; nothing appears there before the digest matches. */
  path: string
  /** Expected SHA-256, hex. */
  sha256: string
  onProgress?: (progress: DownloadProgress) => void
  /** Cancels; the partial file stays for the next attempt to resume. */
  signal?: AbortSignal
  /** Further attempts after a dropped connection or a transient HTTP status, each resuming where the last stopped. */
  retries?: number
  /** First pause between attempts; it doubles each time. */
  retryDelayMs?: number
}

export interface DownloadResult {
  path: string
  bytes: number
  sha256: string
  /** Bytes that were already on disk from an earlier, interrupted attempt. */
  resumedBytes: number
  attempts: number
}

const PROGRESS_INTERVAL_MS = 100

/**
 * Downloads `url` to `path`, streamed to `<path>.partial` and hashed as it arrives. An
 * interrupted download resumes with `Range` (`If-Range` guards against a changed file; a server
 * that answers 200 instead restarts it from zero). Only a file whose SHA-256 matches is renamed
 * into place; a mismatch deletes it and fails with `CHECKSUM_MISMATCH`. One download per path at
 * a time: callers that may race (app and CLI) hold a lock around it.
 */
export async function downloadFile(request: DownloadRequest): Promise<DownloadResult> {
  const { url, path, signal } = request
  checkHttpUrl(url, 'url')
  const expected = request.sha256.toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(expected)) throw invalidInput('sha256', 'must be 64 hexadecimal digits')
  await mkdir(dirname(path), { recursive: true })

  const file = basename(path)
  // One state across attempts: each one updates it as bytes land on disk.
  let partial = await openPartial(path, url, expected)
  const resumedBytes = partial.bytes
  let lastEmit = 0
  const report = (bytes: number, total: number | undefined, force: boolean): void => {
    if (!request.onProgress || (!force && Date.now() - lastEmit < PROGRESS_INTERVAL_MS)) return
    lastEmit = Date.now()
    const percent = total ? Math.min(100, Math.floor((bytes / total) * 1000) / 10) : undefined
    request.onProgress({ file, bytes, ...(total !== undefined ? { total, percent } : {}) })
  }

  const retries = request.retries ?? 4
  let failures = 0
  let attempts = 0
  for (;;) {
    if (signal?.aborted) throw cancelled(`the download of ${file}`)
    attempts += 1
    const before = partial.bytes
    try {
      await attempt(path, url, expected, partial, report, signal)
      break
    } catch (error) {
      if (signal?.aborted) throw cancelled(`the download of ${file}`)
      if (error instanceof BpvmError) throw error
      partial = await syncedHash(path, partial)
      // Only attempts that got nowhere count: a flaky link that keeps delivering is not a failure.
      failures = partial.bytes > before ? 0 : failures + 1
      if (failures > retries) {
        throw new BpvmError('DOWNLOAD_FAILED', `downloading ${url} failed after ${attempts} attempts: ${(error as Error).message}`, { url })
      }
      await sleep((request.retryDelayMs ?? 500) * 2 ** Math.max(0, failures - 1), undefined, signal ? { signal } : {}).catch(() => undefined)
    }
  }
  report(partial.bytes, partial.meta?.total, true)
  return publish(path, url, expected, partial, resumedBytes, attempts)
}

type Report = (bytes: number, total: number | undefined, force: boolean) => void

/** A failure worth another attempt; everything thrown as BpvmError is final. */
class TransientFailure extends Error {}

/** One request, appending to `state` as bytes land; returns when the server has sent everything. */
async function attempt(path: string, url: string, sha256: string, state: PartialFile, report: Report, signal?: AbortSignal): Promise<void> {
  if (state.bytes > 0 && state.bytes === state.meta?.total) return
  const headers: Record<string, string> = {}
  if (state.bytes > 0) {
    headers.range = `bytes=${state.bytes}-`
    if (state.meta?.validator) headers['if-range'] = state.meta.validator
  }
  const response = await httpGet(url, headers, signal)
  const range = contentRange(response)
  if (response.status === 206 && state.bytes > 0 && state.meta && range?.first === state.bytes) {
    if (range.total !== undefined) state.meta.total = range.total
  } else if (response.status === 200) {
    // A fresh download, or a server that ignored Range or reports a changed file: start over.
    await discardPartial(path)
    Object.assign(state, { bytes: 0, hash: createHash('sha256'), meta: freshMeta(url, sha256, response) })
    await savePartialMeta(path, state.meta!)
  } else {
    await response.body.dump().catch(() => undefined)
    if (response.status === 206 || response.status === 416) {
      // A range we did not ask for, or one past the server's end: our partial does not fit this file.
      await discardPartial(path)
      Object.assign(state, { bytes: 0, hash: createHash('sha256'), meta: undefined })
      throw new TransientFailure(`the server answered HTTP ${response.status} to a resumed request; starting over`)
    }
    if (isTransientStatus(response.status)) throw new TransientFailure(`HTTP ${response.status}`)
    throw httpStatusError(url, response.status)
  }
  await appendBody(path, response, state, report)
}

function freshMeta(url: string, sha256: string, response: HttpResponse): PartialMeta {
  const etag = headerText(response, 'etag')
  // A weak ETag may not be used in If-Range; Last-Modified may.
  const validator = etag && !etag.startsWith('W/') ? etag : headerText(response, 'last-modified')
  const total = contentLength(response)
  return { url, sha256, ...(total !== undefined ? { total } : {}), ...(validator ? { validator } : {}) }
}

async function appendBody(path: string, response: HttpResponse, state: PartialFile, report: Report): Promise<void> {
  const total = state.meta?.total
  const handle = await open(partialPath(path), 'a', 0o644)
  try {
    report(state.bytes, total, true)
    for await (const chunk of response.body) {
      await writeAll(handle, chunk as Buffer)
      // Hashed only once written, so the digest always covers exactly the bytes on disk.
      state.hash.update(chunk as Buffer)
      state.bytes += (chunk as Buffer).length
      report(state.bytes, total, false)
    }
  } finally {
    await handle.close()
  }
  if (total !== undefined && state.bytes !== total) throw new TransientFailure(`the body ended after ${state.bytes} of ${total} bytes`)
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let done = 0
  while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten
}

async function publish(path: string, url: string, expected: string, partial: PartialFile, resumedBytes: number, attempts: number): Promise<DownloadResult> {
  const actual = partial.hash.digest('hex')
  const file = basename(path)
  if (actual !== expected) {
    await discardPartial(path)
    throw new BpvmError(
      'CHECKSUM_MISMATCH',
      `${file} does not match its published checksum (expected SHA-256 ${expected}, got ${actual}); the download was discarded`,
      { file, url, expected, actual }
    )
  }
  await syncPath(partialPath(path))
  await rename(partialPath(path), path)
  await removePartialMeta(path)
  await syncPath(dirname(path))
  return { path, bytes: partial.bytes, sha256: actual, resumedBytes, attempts }
}
