import { randomBytes } from 'node:crypto'
import { lstat, readdir, realpath, rename, rm } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { appDirs } from '../appDirs'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { withFileLock } from '../state/fileLock'
import { readDebianManifest } from './debian/debianManifest'
import { readCachedBuild } from './devGuest/devGuestCache'
import { readUbuntuManifest } from './ubuntuManifest'
import { ubuntuLockFile } from './ubuntuRelease'

export type CachedImageKind = 'ubuntu' | 'debian' | 'dev'

export interface CachedImage {
  /** `<kind>/<directory>`, e.g. `ubuntu/noble-20260321`: what `removeImage` takes. */
  name: string
  kind: CachedImageKind
  dir: string
  /** A finished pull or build; false for one that was interrupted (or is still running). */
  complete: boolean
  files: { name: string; bytes: number }[]
  bytes: number
  /** When it was pulled or built, for a complete one. */
  createdAt?: string
}

export interface ImageCatalog {
  /** `<cache>/images`. */
  dir: string
  images: CachedImage[]
}

const KINDS: readonly CachedImageKind[] = ['ubuntu', 'debian', 'dev']
const imagesDir = (cacheDir: string): string => join(cacheDir, 'images')
// Locks, scratch and half-removed directories start with a dot: never images of their own.
const isEntryName = (name: string): boolean => name !== '' && !name.startsWith('.') && !name.includes('/')

async function filesOf(dir: string): Promise<{ name: string; bytes: number }[]> {
  const files: { name: string; bytes: number }[] = []
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const info = await lstat(join(dir, name)).catch(() => undefined)
    if (info?.isFile()) files.push({ name, bytes: info.size })
  }
  return files
}

async function describeEntry(kind: CachedImageKind, root: string, entry: string): Promise<CachedImage> {
  const dir = join(root, entry)
  const files = await filesOf(dir)
  const createdAt =
    kind === 'ubuntu' ? (await readUbuntuManifest(dir))?.pulledAt : kind === 'debian' ? (await readDebianManifest(dir))?.builtAt : (await readCachedBuild(dir, entry))?.builtAt
  return {
    name: `${kind}/${entry}`,
    kind,
    dir,
    complete: createdAt !== undefined,
    files,
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    ...(createdAt !== undefined ? { createdAt } : {})
  }
}

/** The Ubuntu releases, Debian builds and dev guest builds in the cache, with their files and sizes. */
export async function listImages(options: { cacheDir?: string } = {}): Promise<ImageCatalog> {
  const dir = imagesDir(options.cacheDir ?? appDirs().cache)
  const images: CachedImage[] = []
  for (const kind of KINDS) {
    const root = join(dir, kind)
    for (const entry of (await readdir(root).catch(() => [] as string[])).sort()) {
      if (!isEntryName(entry) || !(await lstat(join(root, entry))).isDirectory()) continue
      images.push(await describeEntry(kind, root, entry))
    }
  }
  return { dir, images }
}

export interface RemovedImage {
  name: string
  dir: string
  freedBytes: number
}

/**
 * Removes one cached image, named as `listImages` names it (`ubuntu/noble-20260321`) or by its
 * directory's path. Anything that does not resolve to an image directly inside the cache's
 * images directory is refused, whatever `..` or symlinks it goes through. Whether a VM still
 * uses the image (a root disk's overlay on a base, say) is the caller's concern: this does not check.
 */
export async function removeImage(nameOrPath: string, options: { cacheDir?: string } = {}): Promise<RemovedImage> {
  if (typeof nameOrPath !== 'string' || nameOrPath.trim() === '') throw invalidInput('name', 'is required')
  if (nameOrPath.includes('\0')) throw invalidInput('name', 'contains a NUL character')
  const cacheDir = options.cacheDir ?? appDirs().cache
  const images = imagesDir(cacheDir)
  const target = isAbsolute(nameOrPath) ? resolve(nameOrPath) : resolve(images, nameOrPath)
  const rel = relative(images, target)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw invalidInput('name', `${target} is outside the image cache ${images}; only images in it can be removed`)
  }
  const [kind, entry, ...rest] = rel.split('/')
  if (!KINDS.includes(kind as CachedImageKind) || entry === undefined || !isEntryName(entry) || rest.length > 0) {
    throw invalidInput('name', `${nameOrPath} is not an image name such as ubuntu/<release>, debian/<build> or dev/<build> (see bpvm image ls)`)
  }
  const root = join(images, kind!)
  const dir = join(root, entry)
  const info = await lstat(dir).catch(() => undefined)
  if (!info) throw new BpvmError('IMAGE_NOT_FOUND', `no image ${kind}/${entry} in ${images}`, { name: `${kind}/${entry}` })
  // `ubuntu/` or `dev/` could be a symlink to anywhere: it must really be inside the images directory.
  if (!info.isDirectory() || (await realpath(root)) !== join(await realpath(images), kind!)) {
    throw invalidInput('name', `${dir} is not an image directory inside ${images}; refusing to remove it`)
  }

  // The same locks a pull or a build publishes under, so neither is removed half-made.
  const lock = kind === 'ubuntu' ? ubuntuLockFile(cacheDir, entry) : join(root, `.${entry}.lock`)
  return withFileLock(lock, async () => {
    const freedBytes = (await filesOf(dir)).reduce((sum, file) => sum + file.bytes, 0)
    // Renamed to a hidden name first, so no reader sees a half-removed image.
    const aside = join(root, `.${entry}.${randomBytes(6).toString('hex')}.stale`)
    await rename(dir, aside)
    await rm(aside, { recursive: true, force: true })
    return { name: `${kind}/${entry}`, dir, freedBytes }
  })
}
