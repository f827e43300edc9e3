import { randomBytes } from 'node:crypto'
import { lstat, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { checkOutputFile } from '../disk/outputPath'
import { formatSize } from '../../../shared/sizes'
import { createOverlay, imageInfo, type ImageFormat } from '../disk/qemuImg'
import { BpvmError, invalidInput } from '../../../shared/errors'

export interface RootOverlayRequest {
  /** The uncompressed base qcow2 (`pullUbuntu().base`). */
  base: string
  /** The instance's root disk to create. */
  path: string
  /** The size the guest sees: the instance's storage limit, at least the base image's size. */
  sizeBytes: number
  /** Replace an existing root disk (whatever the guest wrote to it is lost). */
  replace?: boolean
  /** What the base must be; default qcow2. A custom image's root may be raw. */
  baseFormat?: ImageFormat
}

export interface RootOverlayReport {
  path: string
  base: string
  virtualSizeBytes: number
  baseVirtualSizeBytes: number
  elapsedMs: number
}

/**
 * A VM's root disk as a qcow2 overlay on the cached base image: the guest's writes go to the
 * overlay and the base is only read, so a launch writes a few hundred KiB instead of copying
 * gigabytes. The overlay refers to the base by its absolute path: the base must stay where it is
 * for as long as the overlay is used. Made beside `path` and renamed into place.
 */
export async function createRootOverlay(request: RootOverlayRequest): Promise<RootOverlayReport> {
  const started = performance.now()
  const { sizeBytes } = request
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw invalidInput('sizeBytes', 'must be a whole number of bytes')
  const base = resolve(request.base)
  const path = await checkOutputFile(request.path, 'path', { replace: true })
  if (path === base) throw invalidInput('path', 'is the base image itself')
  const existing = await lstat(path).catch(() => undefined)
  if (existing && !request.replace) throw new BpvmError('INVALID_INPUT', `path: ${path} already exists; pass replace to overwrite it`, { field: 'path' })

  if (!(await lstat(base).catch(() => undefined))?.isFile()) {
    throw new BpvmError('IMAGE_NOT_FOUND', `base image ${base} is not there (pull the image first)`, { path: base })
  }
  const info = await imageInfo(base)
  const baseFormat = request.baseFormat ?? 'qcow2'
  if (info.format !== baseFormat) throw new BpvmError('IMAGE_INVALID', `base image ${base} is ${info.format}, not ${baseFormat}`, { path: base })
  // A smaller overlay would cut off the end of the base's filesystem.
  if (sizeBytes < info.virtualSizeBytes) {
    throw invalidInput('sizeBytes', `${formatSize(sizeBytes)} is smaller than the base image (${formatSize(info.virtualSizeBytes)})`)
  }

  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`)
  try {
    await createOverlay(temp, base, sizeBytes, baseFormat)
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  return { path, base, virtualSizeBytes: sizeBytes, baseVirtualSizeBytes: info.virtualSizeBytes, elapsedMs: Math.round(performance.now() - started) }
}
