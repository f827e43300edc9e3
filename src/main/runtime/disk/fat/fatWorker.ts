import { parentPort } from 'node:worker_threads'
import { BpvmError, toErrorInfo } from '../../../../shared/errors'
import type { Result } from '../../../../shared/result'
import { layOutVolume } from './fatLayout'
import { planVolume } from './fatPlan'
import type { FatBuildProgress, FatBuildReport, FatVolumeSpec } from './fatTypes'
import { writeVolume } from './fatWriter'

export interface FatWorkerJob {
  spec: FatVolumeSpec
  /** Where the image is written before the caller renames it into place. */
  tempPath: string
  /** One Int32 the caller sets to 1 to cancel; read between copy chunks. */
  cancelFlag: SharedArrayBuffer
}

export type FatWorkerMessage = { type: 'progress'; progress: FatBuildProgress } | { type: 'done'; result: Result<FatBuildReport> }

function build({ spec, tempPath, cancelFlag }: FatWorkerJob, post: (m: FatWorkerMessage) => void): FatBuildReport {
  const flag = new Int32Array(cancelFlag)
  const plan = planVolume(spec)
  const layout = layOutVolume(plan)
  writeVolume(tempPath, plan, layout, {
    onProgress: (progress) => post({ type: 'progress', progress }),
    isCancelled: () => Atomics.load(flag, 0) === 1
  })
  return {
    path: spec.out,
    imageBytes: layout.imageBytes,
    payloadBytes: plan.payloadBytes,
    files: plan.files.length,
    directories: plan.directories.length - 1,
    clusterBytes: layout.clusterBytes,
    clusters: layout.clusters
  }
}

/** Names the system errors a user can act on (full disk, read-only target) instead of passing errno text through. */
function describeSystemError(error: unknown): unknown {
  if (error instanceof BpvmError) return error
  const code = (error as NodeJS.ErrnoException).code
  const message = (error as Error).message
  if (code === 'ENOSPC' || code === 'EDQUOT') return new BpvmError('DISK_FULL', `out: no space left to write the image (${message})`, { field: 'out' })
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new BpvmError('OUTPUT_NOT_WRITABLE', `out: cannot write the image there (${message})`, { field: 'out' })
  }
  if (typeof code === 'string') return new BpvmError('IO_ERROR', message)
  return error
}

// One job at a time; the thread stays alive between jobs so later builds skip its start-up.
const port = parentPort
port?.on('message', (job: FatWorkerJob) => {
  const post = (m: FatWorkerMessage): void => port.postMessage(m)
  try {
    post({ type: 'done', result: { ok: true, value: build(job, post) } })
  } catch (error) {
    post({ type: 'done', result: { ok: false, error: toErrorInfo(describeSystemError(error)) } })
  }
})
