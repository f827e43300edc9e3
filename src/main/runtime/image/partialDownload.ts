import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { z } from 'zod'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'

/**
 * An unfinished download: `<file>.partial` holds the bytes so far and `<file>.partial.json`
 * what they belong to (URL, expected digest, the server's validator and size), so a later
 * attempt, even by another process, resumes only a download of the same thing.
 */

export interface PartialMeta {
  url: string
  sha256: string
  /** The file's size as the server announced it. */
  total?: number
  /** Strong ETag or Last-Modified: sent in If-Range so a changed file comes back whole. */
  validator?: string
}

const metaSchema = z.object({
  url: z.string(),
  sha256: z.string(),
  total: z.number().int().nonnegative().optional(),
  validator: z.string().optional()
})

export interface PartialFile {
  /** The bytes on disk and the digest over exactly them. */
  bytes: number
  hash: Hash
  meta?: PartialMeta
}

export const partialPath = (path: string): string => `${path}.partial`
const metaPath = (path: string): string => `${partialPath(path)}.json`

/** Removes the partial file and its record. */
export async function discardPartial(path: string): Promise<void> {
  await Promise.all([rm(partialPath(path), { force: true }), rm(metaPath(path), { force: true })])
}

export async function savePartialMeta(path: string, meta: PartialMeta): Promise<void> {
  await writeJsonAtomic(metaPath(path), meta)
}

export async function removePartialMeta(path: string): Promise<void> {
  await rm(metaPath(path), { force: true })
}

async function readMeta(path: string): Promise<PartialMeta | undefined> {
  const text = await readTextIfExists(metaPath(path))
  if (text === undefined) return undefined
  try {
    const parsed = metaSchema.parse(JSON.parse(text))
    return {
      url: parsed.url,
      sha256: parsed.sha256,
      ...(parsed.total !== undefined ? { total: parsed.total } : {}),
      ...(parsed.validator !== undefined ? { validator: parsed.validator } : {})
    }
  } catch {
    return undefined
  }
}

async function hashFile(file: string): Promise<{ bytes: number; hash: Hash }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { bytes, hash }
}

/**
 * What can be resumed for `url` with digest `sha256`: the partial bytes, hashed again from disk
 * (the digest must cover the whole file), or nothing when they belong to another download.
 */
export async function openPartial(path: string, url: string, sha256: string): Promise<PartialFile> {
  const meta = await readMeta(path)
  const size = (await stat(partialPath(path)).catch(() => undefined))?.size
  const usable = meta && size !== undefined && meta.url === url && meta.sha256 === sha256 && (meta.total === undefined || size <= meta.total)
  if (!usable) {
    await discardPartial(path)
    return { bytes: 0, hash: createHash('sha256') }
  }
  return { ...(await hashFile(partialPath(path))), meta }
}

/** The digest state of the bytes on disk, rehashed when a failed write left them out of step. */
export async function syncedHash(path: string, current: PartialFile): Promise<PartialFile> {
  const size = (await stat(partialPath(path)).catch(() => undefined))?.size ?? 0
  if (size === current.bytes) return current
  return { ...current, ...(await hashFile(partialPath(path))) }
}
