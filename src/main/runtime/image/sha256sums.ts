import { BpvmError } from '../../../shared/errors'
import { cancelled, checkHttpUrl, httpGet, httpStatusError, readSmallBody } from './httpClient'

/** A release's `SHA256SUMS`: file name → lowercase hex digest. */
export type Sha256Sums = ReadonlyMap<string, string>

// Ubuntu's lists a few dozen files; anything this large is not a checksum list.
const MAX_BYTES = 1024 * 1024

/**
 * Parses `sha256sum` output: `<hex>  <name>` (text mode) or `<hex> *<name>` (binary mode).
 * Blank lines are skipped; any other line that is not of that form makes the whole file
 * suspect (an HTML error page served with 200, say), so it is refused.
 */
export function parseSha256Sums(text: string, source = 'SHA256SUMS'): Sha256Sums {
  const sums = new Map<string, string>()
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line)
    if (!match) {
      throw new BpvmError('SHA256SUMS_INVALID', `${source} line ${index + 1} is not "<sha256> <file>": ${JSON.stringify(line.slice(0, 80))}`, {
        source,
        line: index + 1
      })
    }
    sums.set(match[2]!.replace(/^\.\//, ''), match[1]!.toLowerCase())
  })
  if (sums.size === 0) throw new BpvmError('SHA256SUMS_INVALID', `${source} lists no files`, { source })
  return sums
}

/** Downloads and parses a `SHA256SUMS` file (kept in memory: it is small, and bounded here). */
export async function fetchSha256Sums(url: string, signal?: AbortSignal): Promise<Sha256Sums> {
  checkHttpUrl(url, 'url')
  try {
    const response = await httpGet(url, {}, signal)
    if (response.status !== 200) {
      await response.body.dump().catch(() => undefined)
      throw httpStatusError(url, response.status)
    }
    const text = await readSmallBody(response, MAX_BYTES, () => new BpvmError('SHA256SUMS_INVALID', `${url} is larger than ${MAX_BYTES} bytes; not a checksum list`, { source: url }))
    return parseSha256Sums(text, url)
  } catch (error) {
    if (signal?.aborted) throw cancelled(`fetching ${url}`)
    if (error instanceof BpvmError) throw error
    throw new BpvmError('DOWNLOAD_FAILED', `fetching ${url} failed: ${(error as Error).message}`, { url })
  }
}

/** The digest `sums` gives for `file`, or a clear error naming the list. */
export function digestFor(sums: Sha256Sums, file: string, source: string): string {
  const digest = sums.get(file)
  if (digest === undefined) throw new BpvmError('CHECKSUM_NOT_LISTED', `${source} has no checksum for ${file}`, { file, source })
  return digest
}
