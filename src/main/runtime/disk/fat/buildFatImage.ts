import { randomBytes } from 'node:crypto'
import { rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { BpvmError } from '../../../../shared/errors'
import type { FatBuildProgress, FatBuildReport, FatVolumeSpec } from './fatTypes'
import { cancelled, runFatJob } from './fatWorkerPool'

export interface BuildFatOptions {
  onProgress?: (progress: FatBuildProgress) => void
  signal?: AbortSignal
}

/**
 * Builds a FAT32 image on a writer thread, so the caller's event loop never waits on it.
 * The image appears at `spec.out` only when complete; on any failure nothing is left behind
 * and an image already there is kept.
 */
export async function buildFatImage(spec: FatVolumeSpec, options: BuildFatOptions = {}): Promise<FatBuildReport> {
  const out = resolve(spec.out)
  const dir = dirname(out)
  const dirInfo = await stat(dir).catch(() => undefined)
  if (!dirInfo?.isDirectory()) throw new BpvmError('INVALID_INPUT', `out: directory ${dir} does not exist`, { field: 'out' })
  const tempPath = join(dir, `.${basename(out)}.${randomBytes(6).toString('hex')}.partial`)
  try {
    const report = await runFatJob({ spec: { ...spec, out }, tempPath }, options.onProgress, options.signal)
    // A cancel that arrived as the last chunk was written still wins: nothing is put in place.
    if (options.signal?.aborted) throw cancelled()
    await rename(tempPath, out)
    return report
  } catch (error) {
    await rm(tempPath, { force: true })
    throw error
  }
}
