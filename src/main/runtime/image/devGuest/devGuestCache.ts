import { randomBytes } from 'node:crypto'
import { lstat, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { readTextIfExists } from '../../state/atomicJson'
import { removeTreeSafely } from '../../state/safeRemove'
import { devGuestManifestSchema, MANIFEST_FILE, type DevGuestManifest } from './devGuestManifest'

/**
 * The cache of built dev guests: `<images/dev>/<inputs hash>/`. A build is made in a
 * `.partial` directory beside it and renamed into place whole, so a directory under its hash
 * is always a finished build; one that fails the checks below is moved aside and rebuilt.
 */

// A build that died long ago left these; a running one touches its own much more recently.
const LEFTOVER_AGE_MS = 60 * 60 * 1000

/** The finished build in `dir` for `hash`, or undefined when there is none or it is damaged. */
export async function readCachedBuild(dir: string, hash: string): Promise<DevGuestManifest | undefined> {
  const text = await readTextIfExists(join(dir, MANIFEST_FILE)).catch(() => undefined)
  if (text === undefined) return undefined
  let manifest: DevGuestManifest
  try {
    manifest = devGuestManifestSchema.parse(JSON.parse(text))
  } catch {
    return undefined
  }
  if (manifest.hash !== hash) return undefined
  for (const file of Object.values(manifest.files)) {
    const info = await stat(join(dir, file.name)).catch(() => undefined)
    if (!info?.isFile() || info.size !== file.bytes) return undefined
  }
  return manifest
}

/** A build's own scratch directory beside the cache: `partial` becomes the build, `work` holds the unpacked packages. */
export const buildDirName = (hash: string, kind: 'partial' | 'work'): string => `.${hash}.${randomBytes(6).toString('hex')}.${kind}`

/** Moves a damaged build out of the way (renaming first, so no reader sees it half removed). */
export async function discardBuild(dir: string): Promise<void> {
  if (!(await lstat(dir).catch(() => undefined))) return
  const aside = `${dir}.${randomBytes(6).toString('hex')}.stale`
  await rename(dir, aside)
  await rm(aside, { recursive: true, force: true })
}

/** Removes scratch and stale directories that builds which died long ago left in `root`. */
export async function removeLeftovers(root: string): Promise<void> {
  const now = Date.now()
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!/\.(partial|work|stale)$/.test(name)) continue
    const info = await lstat(join(root, name)).catch(() => undefined)
    // One with something still mounted inside is left alone, and so is the rest of the cleanup's failure.
    if (info && now - info.mtimeMs > LEFTOVER_AGE_MS) await removeTreeSafely(join(root, name)).catch(() => undefined)
  }
}

/** Flushes a file or directory to disk, so a rename that follows publishes complete content. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
