import { lstat, readFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { NAMED_IMAGES, type NamedImage } from '../../../shared/api/images'
import { BpvmError, invalidInput } from '../../../shared/errors'
import type { ImageFormat } from '../disk/qemuImg'
import type { DebianBuildPhase } from '../image/debian/buildDebianImage'
import { debianImageForLaunch } from '../image/debian/debianCatalog'
import { buildDevGuest } from '../image/devGuest/buildDevGuest'
import { devGuestCmdline } from '../image/devGuest/devGuestLayout'
import { pullUbuntu, type UbuntuPullProgress } from '../image/ubuntuImage'

/** What a launch boots: the named images, or a directory of the user's own files. */
export type ImageChoice = NamedImage | { dir: string }



/** Everything the VM needs from its image; a root disk is made per instance on top of `root`. */
export interface PreparedGuest {
  kernel: string
  initramfs?: string
  cmdline: string
  /** The read-only base each instance's root overlay points at; absent for a guest that lives in its initramfs. */
  root?: { base: string; format: ImageFormat }
}

export interface PrepareGuestOptions {
  /** Dev guest only: seconds the service gets after the power button before the guest powers off. */
  guestGraceSeconds?: number
  /** Dev guest only: boot the initramfs that has the bridge relay (the host has no vsock for it). */
  bridgeRelay?: boolean
  onUbuntuProgress?: (progress: UbuntuPullProgress) => void
  /** While a Debian image is built for the first launch that needs one. */
  onDebianProgress?: (progress: { phase: DebianBuildPhase; message: string }) => void
  signal?: AbortSignal
}

/** Files of a custom image directory; only `vmlinuz` is required. */
export const CUSTOM_IMAGE_FILES = { kernel: 'vmlinuz', initrd: 'initrd', rootQcow2: 'root.qcow2', rootRaw: 'root.img', cmdline: 'cmdline' } as const

/** The reference's kernel command line, without its debug logging: root on the first disk's first partition. */
export const ROOT_DISK_CMDLINE = 'root=/dev/vda1 rw console=ttyS0 panic=-1'

const MAX_CMDLINE_BYTES = 2048

/** `ubuntu`, `debian`, `dev`, or a path to a directory holding a custom image. */
export function parseImageChoice(value: string): ImageChoice {
  if ((NAMED_IMAGES as readonly string[]).includes(value)) return value as NamedImage
  if (value.trim() === '') throw invalidInput('image', 'must be ubuntu, debian, dev or the path of an image directory')
  if (!isAbsolute(value) && !value.startsWith('.')) {
    throw invalidInput('image', `${JSON.stringify(value)} is not ubuntu, debian or dev; a custom image is given as a path (./dir or /abs/dir)`)
  }
  return { dir: resolve(value) }
}

/** How a choice is recorded and shown: the name, or the directory's absolute path. */
export const imageLabel = (choice: ImageChoice): string => (typeof choice === 'string' ? choice : choice.dir)

/**
 * Makes the chosen image ready to boot: the dev guest is built (or found in the cache), the
 * Ubuntu release pulled and verified (or found), the newest Debian build found (or one built),
 * a custom directory checked file by file.
 */
export async function prepareGuest(choice: ImageChoice, options: PrepareGuestOptions = {}): Promise<PreparedGuest> {
  if (choice === 'dev') {
    const guest = await buildDevGuest()
    return { kernel: guest.kernel, initramfs: options.bridgeRelay ? guest.relayInitramfs : guest.initramfs, cmdline: devGuestCmdline(options.guestGraceSeconds) }
  }
  if (choice === 'ubuntu') {
    const ubuntu = await pullUbuntu({
      ...(options.onUbuntuProgress ? { onProgress: options.onUbuntuProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {})
    })
    return { kernel: ubuntu.kernel, initramfs: ubuntu.initrd, cmdline: ROOT_DISK_CMDLINE, root: { base: ubuntu.base, format: 'qcow2' } }
  }
  if (choice === 'debian') {
    const debian = await debianImageForLaunch({
      ...(options.onDebianProgress ? { onProgress: options.onDebianProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {})
    })
    return { kernel: debian.kernel, initramfs: debian.initrd, cmdline: ROOT_DISK_CMDLINE, root: { base: debian.base, format: 'qcow2' } }
  }
  return customGuest(choice.dir)
}

async function fileIn(dir: string, name: string): Promise<string | undefined> {
  const path = join(dir, name)
  const stats = await lstat(path).catch(() => undefined)
  if (!stats) return undefined
  if (!stats.isFile()) throw invalidInput('image', `${path} must be a regular file`)
  return path
}

async function customGuest(dir: string): Promise<PreparedGuest> {
  const stats = await lstat(dir).catch(() => undefined)
  if (!stats?.isDirectory()) throw new BpvmError('IMAGE_NOT_FOUND', `image: ${dir} is not a directory (it needs at least ${CUSTOM_IMAGE_FILES.kernel})`, { field: 'image', path: dir })
  const kernel = await fileIn(dir, CUSTOM_IMAGE_FILES.kernel)
  if (!kernel) throw new BpvmError('IMAGE_NOT_FOUND', `image: ${dir} has no ${CUSTOM_IMAGE_FILES.kernel}`, { field: 'image', path: dir })
  const initramfs = await fileIn(dir, CUSTOM_IMAGE_FILES.initrd)
  const qcow2 = await fileIn(dir, CUSTOM_IMAGE_FILES.rootQcow2)
  const raw = await fileIn(dir, CUSTOM_IMAGE_FILES.rootRaw)
  if (qcow2 && raw) throw invalidInput('image', `${dir} has both ${CUSTOM_IMAGE_FILES.rootQcow2} and ${CUSTOM_IMAGE_FILES.rootRaw}; keep one`)
  const cmdlineFile = await fileIn(dir, CUSTOM_IMAGE_FILES.cmdline)
  const cmdline = cmdlineFile ? (await readFile(cmdlineFile, 'utf8')).replace(/\s+/g, ' ').trim() : ROOT_DISK_CMDLINE
  if (cmdline === '' || Buffer.byteLength(cmdline) > MAX_CMDLINE_BYTES) throw invalidInput('image', `${cmdlineFile} must hold a kernel command line of 1 to ${MAX_CMDLINE_BYTES} bytes`)
  const root = qcow2 ? { base: qcow2, format: 'qcow2' as const } : raw ? { base: raw, format: 'raw' as const } : undefined
  return { kernel, ...(initramfs ? { initramfs } : {}), cmdline, ...(root ? { root } : {}) }
}
