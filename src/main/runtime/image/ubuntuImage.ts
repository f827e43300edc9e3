import { lstat, mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { appDirs } from '../appDirs'
import { convertImage, imageInfo } from '../disk/qemuImg'
import { BpvmError } from '../../../shared/errors'
import { syncPath } from './devGuest/devGuestCache'
import { withCacheLock } from './cacheLock'
import { downloadFile, type DownloadProgress } from './download'
import { digestFor, fetchSha256Sums, type Sha256Sums } from './sha256sums'
import { readUbuntuManifest, writeUbuntuManifest, type UbuntuManifest } from './ubuntuManifest'
import { UBUNTU_FILES, UBUNTU_RELEASE_NAME, ubuntuBaseUrl, ubuntuLockFile, ubuntuReleaseDir, ubuntuSources, type UbuntuSource } from './ubuntuRelease'

export type UbuntuPullPhase = 'wait' | 'checksums' | 'download' | 'convert'

export interface UbuntuPullProgress {
  phase: UbuntuPullPhase
  message: string
  /** During `download`: the file's bytes so far. */
  download?: DownloadProgress
}

export interface PullUbuntuOptions {
  /** Defaults to the app's cache directory; files go in `<cacheDir>/images/ubuntu/<release>/`. */
  cacheDir?: string
  /** The release directory to fetch from; defaults to `$BPVM_UBUNTU_BASE_URL`, then the pinned release. */
  baseUrl?: string
  onProgress?: (progress: UbuntuPullProgress) => void
  signal?: AbortSignal
}

export interface UbuntuImage {
  release: string
  dir: string
  /** Uncompressed qcow2: the backing file of every root disk. */
  base: string
  baseVirtualSizeBytes: number
  kernel: string
  initrd: string
  fromCache: boolean
  /** Files fetched by this pull. */
  downloaded: string[]
  /** Whether this pull made the base qcow2. */
  converted: boolean
  elapsedMs: number
}

const exists = async (path: string): Promise<boolean> => (await lstat(path).catch(() => undefined))?.isFile() === true

/**
 * Makes sure the pinned Ubuntu release is in the cache: downloads what is missing (each file
 * checked against the release's SHA256SUMS), then converts the compressed image once into an
 * uncompressed base qcow2. Under a lock, so the app and the CLI never download or convert the
 * same release at the same time; the second one waits and finds the work done.
 */
export async function pullUbuntu(options: PullUbuntuOptions = {}): Promise<UbuntuImage> {
  const started = performance.now()
  const cacheDir = options.cacheDir ?? appDirs().cache
  const baseUrl = ubuntuBaseUrl(options.baseUrl)
  const dir = ubuntuReleaseDir(cacheDir)
  const progress = (phase: UbuntuPullPhase, message: string, download?: DownloadProgress): void =>
    options.onProgress?.({ phase, message, ...(download ? { download } : {}) })
  const result = (manifest: UbuntuManifest, fromCache: boolean, downloaded: string[] = [], converted = false): UbuntuImage => ({
    release: manifest.release,
    dir,
    base: join(dir, manifest.files.base.name),
    baseVirtualSizeBytes: manifest.baseVirtualSizeBytes,
    kernel: join(dir, manifest.files.kernel.name),
    initrd: join(dir, manifest.files.initrd.name),
    fromCache,
    downloaded,
    converted,
    elapsedMs: Math.round(performance.now() - started)
  })

  const cached = await readUbuntuManifest(dir)
  if (cached) return result(cached, true)
  await mkdir(dir, { recursive: true })
  const lockOptions = {
    onWait: () => progress('wait', `waiting for another bpvm process that is pulling ${UBUNTU_RELEASE_NAME}`),
    ...(options.signal ? { signal: options.signal } : {})
  }
  return withCacheLock(
    ubuntuLockFile(cacheDir, UBUNTU_RELEASE_NAME),
    async () => {
      const theirs = await readUbuntuManifest(dir)
      if (theirs) return result(theirs, true)
      await discardDamaged(dir)
      const sources = ubuntuSources(baseUrl)
      const baseFile = join(dir, UBUNTU_FILES.base)
      const needed = [sources.kernel, sources.initrd, ...((await exists(baseFile)) ? [] : [sources.image])]
      const missing: UbuntuSource[] = []
      for (const source of needed) if (!(await exists(join(dir, source.file)))) missing.push(source)
      await downloadAll(dir, missing, progress, options.signal)
      const converted = !(await exists(baseFile))
      if (converted) await convertToBase(dir, progress, options.signal)
      const manifest = await describeRelease(dir, baseUrl)
      await writeUbuntuManifest(dir, manifest)
      return result(manifest, false, missing.map((s) => s.file), converted)
    },
    lockOptions
  )
}

type Progress = (phase: UbuntuPullPhase, message: string, download?: DownloadProgress) => void

async function downloadAll(dir: string, sources: UbuntuSource[], progress: Progress, signal?: AbortSignal): Promise<void> {
  const lists = new Map<string, Sha256Sums>()
  for (const source of sources) {
    let sums = lists.get(source.sumsUrl)
    if (!sums) {
      progress('checksums', `fetching ${source.sumsUrl}`)
      sums = await fetchSha256Sums(source.sumsUrl, signal)
      lists.set(source.sumsUrl, sums)
    }
    const sha256 = digestFor(sums, source.file, source.sumsUrl)
    progress('download', `downloading ${source.url}`)
    await downloadFile({
      url: source.url,
      path: join(dir, source.file),
      sha256,
      onProgress: (download) => progress('download', `downloading ${source.file}`, download),
      ...(signal ? { signal } : {})
    })
  }
}

/** Compressed qcow2 → plain qcow2 (cloud-hypervisor cannot read compressed clusters), published by rename. */
async function convertToBase(dir: string, progress: Progress, signal?: AbortSignal): Promise<void> {
  const image = join(dir, UBUNTU_FILES.image)
  const base = join(dir, UBUNTU_FILES.base)
  // Under the lock, a leftover partial can only be from a process that died.
  const partial = `${base}.partial`
  await rm(partial, { force: true })
  progress('convert', `converting ${UBUNTU_FILES.image} into an uncompressed base image`)
  try {
    await convertImage({ source: image, sourceFormat: 'qcow2', target: partial, targetFormat: 'qcow2', ...(signal ? { signal } : {}) })
    await syncPath(partial)
    await rename(partial, base)
    await syncPath(dir)
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
  // The base holds the same blocks; the compressed copy would only take space.
  await rm(image, { force: true })
}

async function describeRelease(dir: string, sourceUrl: string): Promise<UbuntuManifest> {
  const record = async (name: string): Promise<{ name: string; bytes: number }> => ({ name, bytes: (await lstat(join(dir, name))).size })
  const info = await imageInfo(join(dir, UBUNTU_FILES.base))
  if (info.format !== 'qcow2') throw new BpvmError('IMAGE_INVALID', `${UBUNTU_FILES.base} is ${info.format}, not qcow2`)
  return {
    format: 1,
    release: UBUNTU_RELEASE_NAME,
    sourceUrl,
    pulledAt: new Date().toISOString(),
    baseVirtualSizeBytes: info.virtualSizeBytes,
    files: { base: await record(UBUNTU_FILES.base), kernel: await record(UBUNTU_FILES.kernel), initrd: await record(UBUNTU_FILES.initrd) }
  }
}

/** A manifest that no longer matches its files means one was changed or cut short: fetch and make them again. */
async function discardDamaged(dir: string): Promise<void> {
  if (!(await exists(join(dir, UBUNTU_FILES.manifest)))) return
  for (const name of [UBUNTU_FILES.base, UBUNTU_FILES.kernel, UBUNTU_FILES.initrd, UBUNTU_FILES.manifest]) {
    await rm(join(dir, name), { force: true })
  }
}
