import { join } from 'node:path'
import { checkHttpUrl } from './httpClient'

/**
 * The pinned Ubuntu 24.04 (noble) cloud image set. Everything comes from ONE dated release
 * directory, so the kernel and initrd match the modules inside the disk image.
 */
export const UBUNTU_RELEASE = { codename: 'noble', version: '24.04', serial: '20260321' } as const

/** A mirror of the same release directory (tests use one on 127.0.0.1). */
export const UBUNTU_BASE_URL_ENV = 'BPVM_UBUNTU_BASE_URL'
const DEFAULT_BASE_URL = `https://cloud-images.ubuntu.com/releases/${UBUNTU_RELEASE.codename}/release-${UBUNTU_RELEASE.serial}/`

const PREFIX = `ubuntu-${UBUNTU_RELEASE.version}-server-cloudimg-amd64`
export const UBUNTU_FILES = {
  /** The compressed qcow2 as published; removed once converted. */
  image: `${PREFIX}.img`,
  kernel: `${PREFIX}-vmlinuz-generic`,
  initrd: `${PREFIX}-initrd-generic`,
  /** Our uncompressed qcow2 of the image, which every root disk is an overlay on. */
  base: `${PREFIX}.base.qcow2`,
  manifest: 'manifest.json'
} as const

/** Directory name of the release in the cache: `noble-<serial>`. */
export const UBUNTU_RELEASE_NAME = `${UBUNTU_RELEASE.codename}-${UBUNTU_RELEASE.serial}`

export const ubuntuImagesDir = (cacheDir: string): string => join(cacheDir, 'images', 'ubuntu')
export const ubuntuReleaseDir = (cacheDir: string): string => join(ubuntuImagesDir(cacheDir), UBUNTU_RELEASE_NAME)
/** Beside the release directory, so removing the directory never removes a lock someone holds. */
export const ubuntuLockFile = (cacheDir: string, release: string): string => join(ubuntuImagesDir(cacheDir), `.${release}.lock`)

export interface UbuntuSource {
  file: string
  url: string
  /** The SHA256SUMS that lists `file`: the release's own, or the one in `unpacked/`. */
  sumsUrl: string
}

/** The release directory URL, from the caller, the environment, or the pinned default; always ending in `/`. */
export function ubuntuBaseUrl(override?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[UBUNTU_BASE_URL_ENV]?.trim()
  const chosen = override ?? (fromEnv ? fromEnv : DEFAULT_BASE_URL)
  const url = checkHttpUrl(chosen, override !== undefined ? 'baseUrl' : UBUNTU_BASE_URL_ENV)
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  return url.href
}

/** Where each file is published; URLs are resolved relative to the release directory, never concatenated. */
export function ubuntuSources(baseUrl: string): { image: UbuntuSource; kernel: UbuntuSource; initrd: UbuntuSource } {
  const at = (path: string): string => new URL(path, baseUrl).href
  const unpacked = (file: string): UbuntuSource => ({ file, url: at(`unpacked/${file}`), sumsUrl: at('unpacked/SHA256SUMS') })
  return {
    image: { file: UBUNTU_FILES.image, url: at(UBUNTU_FILES.image), sumsUrl: at('SHA256SUMS') },
    kernel: unpacked(UBUNTU_FILES.kernel),
    initrd: unpacked(UBUNTU_FILES.initrd)
  }
}
