import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { appDirs } from '../../appDirs'
import { withFileLock } from '../../state/fileLock'
import { downloadPackages } from './aptGet'
import { resolveDevGuestPackagesMemo, type DevGuestPackages } from './debianPackages'
import { buildDirName, discardBuild, readCachedBuild, removeLeftovers, syncPath } from './devGuestCache'
import { devGuestCmdline, MODULE_ROOTS } from './devGuestLayout'
import { BUILD_FORMAT, devGuestInputsHash, INITRAMFS_FILE, KERNEL_FILES, MANIFEST_FILE, RELAY_INITRAMFS_FILE, type DevGuestManifest } from './devGuestManifest'
import { extractPackage } from './dpkgDeb'
import { initramfsEntries } from './initramfsLayout'
import { readKernelTree } from './kernelTree'
import { bootableKernel } from './pvhKernel'
import { relayEntries, relayFiles } from './relayTree'
import { writeNewcArchive } from './newcArchive'

export type DevGuestPhase = 'resolve' | 'download' | 'unpack' | 'modules' | 'initramfs' | 'publish'

export interface BuildDevGuestOptions {
  /** Defaults to the app's cache directory; the build goes in `<cacheDir>/images/dev/<inputs hash>/`. */
  cacheDir?: string
  onProgress?: (progress: { phase: DevGuestPhase; message: string }) => void
}

export interface DevGuestBuild {
  kernel: string
  initramfs: string
  /** The initramfs with the bridge relay in it. */
  relayInitramfs: string
  /** The package's bzImage, when `kernel` is the vmlinux unpacked from it. */
  bzImage?: string
  /** Kernel command line the init expects (serial console, grace period). */
  cmdline: string
  manifest: DevGuestManifest
  dir: string
  fromCache: boolean
  elapsedMs: number
}

/**
 * The offline dev guest: Debian's cloud kernel and a busybox initramfs whose init runs the
 * service like the cloud-init guest does, with no root image and no network access at boot.
 * Built once per set of inputs and then taken from the cache.
 */
export async function buildDevGuest(options: BuildDevGuestOptions = {}): Promise<DevGuestBuild> {
  const started = performance.now()
  const progress = (phase: DevGuestPhase, message: string): void => options.onProgress?.({ phase, message })
  const root = join(options.cacheDir ?? appDirs().cache, 'images', 'dev')

  progress('resolve', 'resolving the kernel, busybox and socat package versions')
  await mkdir(root, { recursive: true })
  const packages = await resolveDevGuestPackagesMemo(join(root, '.packages.json'))
  const hash = devGuestInputsHash(packages)
  const dir = join(root, hash)
  const done = (manifest: DevGuestManifest, fromCache: boolean): DevGuestBuild => ({
    kernel: join(dir, manifest.files.kernel.name),
    initramfs: join(dir, manifest.files.initramfs.name),
    relayInitramfs: join(dir, manifest.files.relayInitramfs.name),
    ...(manifest.files.bzImage ? { bzImage: join(dir, manifest.files.bzImage.name) } : {}),
    cmdline: manifest.cmdline,
    manifest,
    dir,
    fromCache,
    elapsedMs: Math.round(performance.now() - started)
  })

  const cached = await readCachedBuild(dir, hash)
  if (cached) return done(cached, true)

  await removeLeftovers(root)
  // The unpacked packages (over 100 MB) go beside the cache, not into a /tmp that may be RAM.
  const partial = join(root, buildDirName(hash, 'partial'))
  const work = join(root, buildDirName(hash, 'work'))
  try {
    await Promise.all([mkdir(partial), mkdir(work)])
    const manifest = await buildInto(partial, work, packages, hash, progress)
    progress('publish', `moving the build into ${dir}`)
    // Under a lock, so a build that finishes at the same moment never removes this one, or this one it.
    return await withFileLock(join(root, `.${hash}.lock`), async () => {
      const theirs = await readCachedBuild(dir, hash)
      if (theirs) return done(theirs, true)
      await discardBuild(dir)
      await rename(partial, dir)
      return done(manifest, false)
    })
  } finally {
    await Promise.all([rm(work, { recursive: true, force: true }), rm(partial, { recursive: true, force: true })])
  }
}

type Progress = (phase: DevGuestPhase, message: string) => void

async function buildInto(out: string, work: string, packages: DevGuestPackages, hash: string, progress: Progress): Promise<DevGuestManifest> {
  const { kernel: kernelPackage, busybox, relay } = packages
  progress('download', `downloading ${kernelPackage.name} ${kernelPackage.version}, ${busybox.name} ${busybox.version} and ${relay.length} packages for the bridge relay`)
  const debs = join(work, 'debs')
  await mkdir(debs)
  // One .deb per package, in the order asked.
  const [kernelDeb, busyboxDeb, ...relayDebs] = (await downloadPackages([kernelPackage, busybox, ...relay], debs)) as [string, string, ...string[]]
  progress('unpack', 'unpacking the packages')
  const kernelRoot = join(work, 'kernel')
  const busyboxRoot = join(work, 'busybox')
  const relayRoot = join(work, 'relay')
  await Promise.all([extractPackage(kernelDeb, kernelRoot), extractPackage(busyboxDeb, busyboxRoot)])
  // Into one tree, as dpkg would install them, one after the other.
  for (const deb of relayDebs) await extractPackage(deb, relayRoot)

  progress('modules', `choosing kernel modules for ${MODULE_ROOTS.join(', ')}`)
  const tree = await readKernelTree(kernelRoot, MODULE_ROOTS)
  const relayTree = await relayFiles(relayRoot)

  progress('initramfs', `writing the initramfs (${tree.modules.length} modules) and its copy with the bridge relay (socat and ${relayTree.libraries.length} libraries)`)
  const kernel = await bootableKernel(tree.vmlinuz, work)
  if (kernel.why) progress('initramfs', `booting the kernel through its own decompressor: ${kernel.why}`)
  const kernelOut = join(out, KERNEL_FILES[kernel.entry])
  const initramfsOut = join(out, INITRAMFS_FILE)
  const relayInitramfsOut = join(out, RELAY_INITRAMFS_FILE)
  await copyFile(kernel.file, kernelOut)
  const bzImageOut = kernel.entry === 'pvh' ? join(out, KERNEL_FILES.bzimage) : undefined
  if (bzImageOut) await copyFile(tree.vmlinuz, bzImageOut)
  const base = await initramfsEntries({ busybox: join(busyboxRoot, 'bin/busybox'), modules: tree.modules })
  await writeNewcArchive(base, initramfsOut)
  // The relay's 10 MB stay uncompressed: inflating them costs a TCG boot about a second.
  await writeNewcArchive(base, relayInitramfsOut, await relayEntries(relayTree))

  const manifest: DevGuestManifest = {
    format: BUILD_FORMAT,
    hash,
    builtAt: new Date().toISOString(),
    packages: {
      kernel: { name: kernelPackage.name, version: kernelPackage.version },
      busybox: { name: busybox.name, version: busybox.version },
      relay: relay.map((p) => ({ name: p.name, version: p.version }))
    },
    kernelRelease: tree.release,
    moduleRoots: [...MODULE_ROOTS],
    modules: tree.modules.map((m) => m.name),
    cmdline: devGuestCmdline(),
    kernelEntry: { entry: kernel.entry, ...(kernel.why ? { why: kernel.why } : {}) },
    files: {
      kernel: await fileRecord(kernelOut),
      initramfs: await fileRecord(initramfsOut),
      relayInitramfs: await fileRecord(relayInitramfsOut),
      ...(bzImageOut ? { bzImage: await fileRecord(bzImageOut) } : {})
    }
  }
  await writeFile(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' })
  for (const file of [kernelOut, ...(bzImageOut ? [bzImageOut] : []), initramfsOut, relayInitramfsOut, join(out, MANIFEST_FILE), out]) await syncPath(file)
  return manifest
}

async function fileRecord(path: string): Promise<{ name: string; bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return { name: path.slice(path.lastIndexOf('/') + 1), bytes: (await stat(path)).size, sha256: hash.digest('hex') }
}
