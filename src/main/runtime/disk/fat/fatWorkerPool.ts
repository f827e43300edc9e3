import { Worker } from 'node:worker_threads'
import { BpvmError } from '../../../../shared/errors'
import { workerScript } from '../../workerScript'
import type { FatBuildProgress, FatBuildReport } from './fatTypes'
import type { FatWorkerJob, FatWorkerMessage } from './fatWorker'

/** Idle writer threads kept for the next build; they never keep the process alive. */
const MAX_IDLE = 2
const idle: Worker[] = []

const forgetOnExit = new WeakMap<Worker, () => void>()

function takeWorker(): Worker {
  const reused = idle.pop()
  if (reused) reused.off('exit', forgetOnExit.get(reused)!)
  const worker = reused ?? new Worker(workerScript(import.meta.url, 'fatWorker'))
  worker.ref()
  return worker
}

function releaseWorker(worker: Worker): void {
  if (idle.length >= MAX_IDLE) {
    void worker.terminate()
    return
  }
  worker.unref()
  // An idle thread that dies is simply forgotten.
  const forget = (): void => {
    const at = idle.indexOf(worker)
    if (at !== -1) idle.splice(at, 1)
  }
  forgetOnExit.set(worker, forget)
  worker.once('exit', forget)
  idle.push(worker)
}

/**
 * Runs one FAT build on a writer thread. Settles only once the thread is done with the
 * job (or stopped, when cancelled), so the caller can then safely remove the partial file.
 */
export function runFatJob(job: Omit<FatWorkerJob, 'cancelFlag'>, onProgress?: (p: FatBuildProgress) => void, signal?: AbortSignal): Promise<FatBuildReport> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled())
    const worker = takeWorker()
    let settled = false
    const finish = (keepWorker: boolean, action: () => void): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      // Only our own listeners: Worker keeps internal ones that removeAllListeners would break.
      worker.off('message', onMessage).off('error', onError).off('exit', onExit)
      if (keepWorker) releaseWorker(worker)
      action()
    }
    // Cancelling is cooperative: the thread stops at its next chunk and answers CANCELLED,
    // so this settles only once it no longer touches the partial file.
    const cancelFlag = new SharedArrayBuffer(4)
    const onAbort = (): void => {
      Atomics.store(new Int32Array(cancelFlag), 0, 1)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const onMessage = (message: FatWorkerMessage): void => {
      if (message.type === 'progress') return onProgress?.(message.progress)
      const result = message.result
      finish(true, () => (result.ok ? resolve(result.value) : reject(new BpvmError(result.error.code, result.error.message, result.error.details))))
    }
    const onError = (error: Error): void => finish(false, () => reject(new BpvmError('INTERNAL', `FAT writer failed: ${error.message}`)))
    const onExit = (code: number): void =>
      finish(false, () => reject(new BpvmError('INTERNAL', `FAT writer stopped unexpectedly (exit ${code})`)))
    worker.on('message', onMessage).on('error', onError).on('exit', onExit)
    worker.postMessage({ ...job, cancelFlag } satisfies FatWorkerJob)
  })
}

export function cancelled(): BpvmError {
  return new BpvmError('CANCELLED', 'building the image was cancelled')
}
