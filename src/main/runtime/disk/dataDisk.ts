import { randomBytes } from 'node:crypto'
import { lstat, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { checkOutputFile } from './outputPath'
import { formatSize } from '../../../shared/sizes'
import { createQcow2, imageInfo } from './qemuImg'

export interface DataDiskRequest {
  path: string
  sizeBytes: number
  /** Replace an existing disk (its data is lost) instead of keeping it. */
  recreate?: boolean
}

export interface DataDiskReport {
  path: string
  action: 'created' | 'kept' | 'recreated'
  /** Size the guest sees: the requested size for a new disk, the existing one's own size when kept. */
  virtualSizeBytes: number
  requestedBytes: number
}

// ext4 plus the MBR need room; anything smaller is a typo, not a data disk.
const MIN_BYTES = 1024 * 1024

/**
 * Makes sure the qcow2 data disk exists. An existing disk holds the service's data, so it is
 * kept as it is unless `recreate` is set; a new one is created beside the target and moved
 * into place, so a failure never leaves a half-made disk at `path`.
 */
export async function ensureDataDisk(request: DataDiskRequest): Promise<DataDiskReport> {
  const { sizeBytes } = request
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < MIN_BYTES) {
    throw invalidInput('sizeBytes', `must be a whole number of bytes, at least ${formatSize(MIN_BYTES)}`)
  }
  // An existing disk is kept, or replaced with `recreate`: decided below.
  const path = await checkOutputFile(request.path, 'path', { replace: true })
  const existing = await lstat(path).catch(() => undefined)
  if (existing && !existing.isFile()) throw invalidInput('path', `${path} exists and is not a regular file`)

  if (existing && !request.recreate) {
    const info = await imageInfo(path)
    if (info.format !== 'qcow2') {
      throw new BpvmError('INVALID_INPUT', `path: ${path} exists but is a ${info.format} image, not qcow2; pass --recreate to replace it`, {
        field: 'path'
      })
    }
    return { path, action: 'kept', virtualSizeBytes: info.virtualSizeBytes, requestedBytes: sizeBytes }
  }

  const tempPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`)
  try {
    await createQcow2(tempPath, sizeBytes)
    const info = await imageInfo(tempPath)
    await rename(tempPath, path)
    return { path, action: existing ? 'recreated' : 'created', virtualSizeBytes: info.virtualSizeBytes, requestedBytes: sizeBytes }
  } catch (error) {
    await rm(tempPath, { force: true })
    throw error
  }
}
