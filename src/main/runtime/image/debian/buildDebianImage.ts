import { randomBytes } from 'node:crypto'
import { copyFile, lstat, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { appDirs } from '../../appDirs'
import { ext4FromTree } from '../../disk/mke2fs'
import { SECTOR_BYTES, writeMbr } from '../../disk/mbrPartition'
import { convertImage } from '../../disk/qemuImg'
import { BpvmError } from '../../../../shared/errors'
import { withCacheLock } from '../cacheLock'
import { buildDirName, discardBuild, removeLeftovers, syncPath } from '../devGuest/devGuestCache'
import { cancelled } from '../httpClient'
import { fetchSuiteRelease, type SuiteRelease } from './debianRelease'
import { debianInputs, type DebianInputs, type DebianInputsRequest } from './debianInputs'
import { bpvmPartsDigest, DEBIAN_BUILD_FORMAT, DEBIAN_FILES, debianBuildName, debianInputsHash, readDebianManifest, type DebianManifest } from './debianManifest'
import { installedPackages } from './dpkgStatus'
import { writeGuestTreeFiles, ROOT_FS_LABEL } from './guestTreeFiles'
import { runMmdebstrap } from './mmdebstrap'
import { removeTreeSafely } from '../../state/safeRemove'
import { treeBytes } from './treeSize'

export type DebianBuildPhase = 'resolve' | 'wait' | 'download' | 'unpack' | 'image' | 'publish'

export interface BuildDebianOptions extends DebianInputsRequest {
  /** Defaults to the app's cache; builds go in `<cacheDir>/images/debian/<suite>-<hash>/`. */
  cacheDir?: string
  onProgress?: (progress: { phase: DebianBuildPhase; message: string }) => void
  signal?: AbortSignal
}

export interface DebianImage {
  name: string
  dir: string
  base: string
  kernel: string
  initrd: string
  manifest: DebianManifest
  fromCache: boolean
  elapsedMs: number
}

const MiB = 2 ** 20
const GiB = 2 ** 30
const PARTITION_OFFSET = MiB
// Room for what a service installs at run time (Docker and its images live on the data disk).
const MIN_FS_BYTES = 3 * GiB

export const debianImagesDir = (cacheDir: string): string => join(cacheDir, 'images', 'debian')

/** The image a finished build describes. */
export function debianImage(dir: string, manifest: DebianManifest, fromCache: boolean, started: number): DebianImage {
  return {
    name: `debian/${dir.slice(dir.lastIndexOf('/') + 1)}`,
    dir,
    base: join(dir, manifest.files.base.name),
    kernel: join(dir, manifest.files.kernel.name),
    initrd: join(dir, manifest.files.initrd.name),
    manifest,
    fromCache,
    elapsedMs: Math.round(performance.now() - started)
  }
}

/**
 * A Debian cloud guest made from the archive: mmdebstrap installs systemd, cloud-init and the
 * cloud kernel into a tree, bpvm adds its few files, and the tree becomes an ext4 partition
 * behind an MBR (so `root=/dev/vda1`), converted to the base qcow2 every instance's root disk
 * is an overlay on. Cached by its inputs; a build is made beside the cache and renamed into
 * place whole, so a failed or cancelled one leaves nothing behind.
 */
export async function buildDebianImage(options: BuildDebianOptions = {}): Promise<DebianImage> {
  const started = performance.now()
  const progress = (phase: DebianBuildPhase, message: string): void => options.onProgress?.({ phase, message })
  const inputs = await debianInputs(options)
  progress('resolve', `checking ${inputs.mirror} for ${inputs.suite}`)
  const release = await fetchSuiteRelease(inputs.mirror, inputs.suite, options.signal)
  const hash = debianInputsHash(inputs, release.sha256)
  const root = debianImagesDir(options.cacheDir ?? appDirs().cache)
  const name = debianBuildName(inputs.suite, hash)
  const dir = join(root, name)
  const cached = async (): Promise<DebianImage | undefined> => {
    const manifest = await readDebianManifest(dir)
    return manifest?.hash === hash ? debianImage(dir, manifest, true, started) : undefined
  }
  const found = await cached()
  if (found) return found

  await mkdir(root, { recursive: true })
  // The whole build under the lock: a second build of the same inputs waits, then finds this one's.
  return withCacheLock(
    join(root, `.${name}.lock`),
    async () => {
      const theirs = await cached()
      if (theirs) return theirs
      await removeLeftovers(root)
      const partial = join(root, buildDirName(name, 'partial'))
      const work = join(root, buildDirName(name, 'work'))
      try {
        await Promise.all([mkdir(partial), mkdir(work)])
        const manifest = await buildInto({ partial, work, inputs, release, hash, started, progress, ...(options.signal ? { signal: options.signal } : {}) })
        progress('publish', `moving the image into ${dir}`)
        await discardBuild(dir)
        await rename(partial, dir)
        return debianImage(dir, manifest, false, started)
      } catch (error) {
        throw asDiskFull(error, root)
      } finally {
        await Promise.all([removeTreeSafely(work), removeTreeSafely(partial)])
      }
    },
    {
      onWait: () => progress('wait', `waiting for another bpvm process that is building ${name}`),
      ...(options.signal ? { signal: options.signal } : {})
    }
  )
}

interface BuildContext {
  partial: string
  work: string
  inputs: DebianInputs
  release: SuiteRelease
  hash: string
  started: number
  progress: (phase: DebianBuildPhase, message: string) => void
  signal?: AbortSignal
}

async function buildInto(context: BuildContext): Promise<DebianManifest> {
  const { partial, work, inputs, release, progress, signal } = context
  const tree = join(work, 'tree')
  await runMmdebstrap({ suite: inputs.suite, mirror: inputs.mirror, packages: inputs.packages, target: tree, onPhase: progress, ...(signal ? { signal } : {}) })
  if (signal?.aborted) throw cancelled('building the Debian image')

  progress('image', 'writing the root disk (ext4 on an MBR partition)')
  await writeGuestTreeFiles(tree)
  const boot = await bootFiles(tree)
  const kernel = join(partial, DEBIAN_FILES.kernel)
  const initrd = join(partial, DEBIAN_FILES.initrd)
  await copyFile(boot.kernel, kernel)
  await copyFile(boot.initrd, initrd)
  const packages = await installedPackages(tree)

  const used = await treeBytes(tree)
  const fsBytes = Math.max(MIN_FS_BYTES, Math.ceil((used * 1.5 + GiB) / MiB) * MiB)
  const raw = join(work, 'root.raw')
  await ext4FromTree({ tree, image: raw, offsetBytes: PARTITION_OFFSET, sizeBytes: fsBytes, label: ROOT_FS_LABEL, ...(signal ? { signal } : {}) })
  await writeMbr(raw, { startSector: PARTITION_OFFSET / SECTOR_BYTES, sectorCount: fsBytes / SECTOR_BYTES, diskSignature: randomBytes(4).readUInt32LE() })
  // The tree is no longer needed: free its space before the conversion writes the base.
  await removeTreeSafely(tree)
  const base = join(partial, DEBIAN_FILES.base)
  await convertImage({ source: raw, sourceFormat: 'raw', target: base, targetFormat: 'qcow2', ...(signal ? { signal } : {}) })
  await rm(raw, { force: true })

  const record = async (path: string) => ({ name: path.slice(path.lastIndexOf('/') + 1), bytes: (await stat(path)).size })
  const manifest: DebianManifest = {
    format: DEBIAN_BUILD_FORMAT,
    hash: context.hash,
    bpvmParts: bpvmPartsDigest(),
    builtAt: new Date().toISOString(),
    buildMs: Math.round(performance.now() - context.started),
    suite: inputs.suite,
    mirror: inputs.mirror,
    include: inputs.include,
    release: { label: release.label, date: release.date, sha256: release.sha256 },
    kernelRelease: boot.release,
    packages: Object.fromEntries([...packages.entries()].sort(([a], [b]) => a.localeCompare(b))),
    baseVirtualSizeBytes: PARTITION_OFFSET + fsBytes,
    files: { base: await record(base), kernel: await record(kernel), initrd: await record(initrd) }
  }
  await writeFile(join(partial, DEBIAN_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' })
  for (const file of [base, kernel, initrd, join(partial, DEBIAN_FILES.manifest), partial]) await syncPath(file)
  return manifest
}

/** The kernel and its initrd in the tree's /boot: exactly one of each, of the same release. */
async function bootFiles(tree: string): Promise<{ kernel: string; initrd: string; release: string }> {
  const names = await readdir(join(tree, 'boot'))
  const kernels = names.filter((n) => n.startsWith('vmlinuz-'))
  if (kernels.length !== 1) throw new BpvmError('IMAGE_BUILD_FAILED', `the built tree has ${kernels.length} kernels in /boot (${kernels.join(', ') || 'none'}); expected one`)
  const release = kernels[0]!.slice('vmlinuz-'.length)
  const initrd = `initrd.img-${release}`
  if (!names.includes(initrd)) throw new BpvmError('IMAGE_BUILD_FAILED', `the built tree has no ${initrd} for its kernel ${release} (is initramfs-tools installed?)`)
  // Both must be plain files of the tree, not links leading out of it.
  for (const file of [kernels[0]!, initrd]) {
    const info = await lstat(join(tree, 'boot', file))
    if (!info.isFile()) throw new BpvmError('IMAGE_BUILD_FAILED', `/boot/${file} in the built tree is not a regular file`)
  }
  return { kernel: join(tree, 'boot', kernels[0]!), initrd: join(tree, 'boot', initrd), release }
}

function asDiskFull(error: unknown, root: string): unknown {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (error instanceof BpvmError && error.code === 'DISK_FULL') return error
  if (code === 'ENOSPC' || /No space left on device/i.test(message)) {
    return new BpvmError('DISK_FULL', `no space left in ${root} to build the Debian image (about 1.5 GB is needed while it builds)`, { path: root })
  }
  return error
}
