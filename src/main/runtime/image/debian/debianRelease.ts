import { createHash } from 'node:crypto'
import { BpvmError } from '../../../../shared/errors'
import { cancelled, httpGet, httpStatusError, readSmallBody } from '../httpClient'

/**
 * The suite's release file on the mirror. It lists the hash of every package index, so the
 * digest of this one file changes whenever any package version in the suite does: the build
 * cache's stand-in for "the versions", got in one small request.
 */
export interface SuiteRelease {
  url: string
  sha256: string
  /** The archive's own words, for listings: `Debian 12.13`, `Sat, 10 Jan 2026 …`. */
  label: string
  date: string
}

// bookworm's InRelease is about 150 KB; a mirror answering far more is not serving one.
const MAX_BYTES = 4 * 1024 * 1024

async function fetchText(url: string, signal?: AbortSignal): Promise<string | undefined> {
  const response = await httpGet(url, {}, signal)
  if (response.status === 404) {
    await response.body.dump().catch(() => undefined)
    return undefined
  }
  if (response.status !== 200) {
    await response.body.dump().catch(() => undefined)
    throw httpStatusError(url, response.status)
  }
  return readSmallBody(response, MAX_BYTES, () => new BpvmError('MIRROR_INVALID', `mirror: ${url} is larger than ${MAX_BYTES} bytes; not a release file`, { field: 'mirror', url }))
}

/** Fetches `dists/<suite>/InRelease` (or `Release`); an unreachable mirror or unknown suite is a clear error. */
export async function fetchSuiteRelease(mirror: string, suite: string, signal?: AbortSignal): Promise<SuiteRelease> {
  const base = `${mirror}/dists/${encodeURIComponent(suite)}`
  for (const name of ['InRelease', 'Release']) {
    const url = `${base}/${name}`
    let text: string | undefined
    try {
      text = await fetchText(url, signal)
    } catch (error) {
      if (signal?.aborted) throw cancelled(`fetching ${url}`)
      if (error instanceof BpvmError) throw error
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code
      throw new BpvmError('MIRROR_UNREACHABLE', `mirror: cannot reach ${mirror} (${cause ?? (error as Error).message}); check the URL, or the network`, { field: 'mirror', url })
    }
    if (text === undefined) continue
    const field = (key: string): string => new RegExp(`^${key}: *(.*)$`, 'm').exec(text)?.[1]?.trim() ?? ''
    if (field('Suite') === '' && field('Codename') === '') {
      throw new BpvmError('MIRROR_INVALID', `mirror: ${url} is not a Debian release file (no Suite or Codename field)`, { field: 'mirror', url })
    }
    const label = [field('Origin'), field('Version') || field('Codename')].filter(Boolean).join(' ')
    return { url, sha256: createHash('sha256').update(text).digest('hex'), label, date: field('Date') }
  }
  throw new BpvmError('SUITE_NOT_FOUND', `suite: ${mirror} has no suite ${suite} (neither dists/${suite}/InRelease nor Release)`, { field: 'suite' })
}
