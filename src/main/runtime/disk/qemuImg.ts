import { resolve } from 'node:path'
import { ExecaError, execa } from 'execa'
import { BpvmError } from '../../../shared/errors'

/** The only door to `qemu-img`: every call goes through here, with its stderr kept for the error. */

export type ImageFormat = 'qcow2' | 'raw'

export interface QemuImageInfo {
  /** e.g. `qcow2`, `raw`. */
  format: string
  /** Size the guest sees. */
  virtualSizeBytes: number
  /** Space the file takes on the host. */
  actualSizeBytes?: number
  /** Absolute path of the image this one is an overlay on. */
  backingFile?: string
  backingFormat?: string
}

interface RunOptions {
  timeoutMs?: number
  /** Stops the program (SIGTERM) and fails with `CANCELLED`. */
  signal?: AbortSignal
}

const TIMEOUT_MS = 60_000
// Converting a whole cloud image writes gigabytes; a slow disk needs minutes, not seconds.
const CONVERT_TIMEOUT_MS = 30 * 60_000

async function qemuImg(action: string, args: string[], options: RunOptions = {}): Promise<string> {
  const timeout = options.timeoutMs ?? TIMEOUT_MS
  try {
    const { stdout } = await execa('qemu-img', args, { timeout, stdin: 'ignore', ...(options.signal ? { cancelSignal: options.signal } : {}) })
    return stdout
  } catch (error) {
    if (error instanceof ExecaError) {
      if (error.code === 'ENOENT') {
        throw new BpvmError('PROGRAM_NOT_FOUND', 'qemu-img is not installed (install the qemu-utils package)', { program: 'qemu-img' })
      }
      if (error.isCanceled) throw new BpvmError('CANCELLED', `qemu-img ${action} was cancelled`, { program: 'qemu-img' })
      const why = error.timedOut ? `timed out after ${timeout / 1000} s` : (String(error.stderr ?? '').trim() || error.shortMessage)
      throw new BpvmError('QEMU_IMG_FAILED', `qemu-img ${action} failed: ${why}`, { program: 'qemu-img', exitCode: error.exitCode })
    }
    throw error
  }
}

// qemu-img reads `name:` prefixes as protocols and `-x` as options; an absolute path is neither.
const safePath = (path: string): string => resolve(path)

/** Creates a qcow2 image that grows as the guest writes to it. */
export async function createQcow2(path: string, sizeBytes: number): Promise<void> {
  await qemuImg('create', ['create', '-q', '-f', 'qcow2', safePath(path), String(sizeBytes)])
}

/**
 * Creates a qcow2 overlay on the image `backing` (qcow2 or raw): reads fall through to the
 * backing image, writes stay in the overlay. The backing path is stored absolute.
 */
export async function createOverlay(path: string, backing: string, sizeBytes: number, backingFormat: ImageFormat = 'qcow2'): Promise<void> {
  await qemuImg('create', ['create', '-q', '-f', 'qcow2', '-b', safePath(backing), '-F', backingFormat, safePath(path), String(sizeBytes)])
}

export interface ConvertRequest extends RunOptions {
  source: string
  /** Named, never probed: probing lets a raw image pass itself off as another format. */
  sourceFormat: ImageFormat
  target: string
  targetFormat: ImageFormat
  /** Writes compressed clusters (qcow2 only), as distributions ship their cloud images. */
  compress?: boolean
}

/** Copies an image into a new file in another format (or the same, to undo compression). */
export async function convertImage(request: ConvertRequest): Promise<void> {
  const args = ['convert', '-q', ...(request.compress ? ['-c'] : []), '-f', request.sourceFormat, '-O', request.targetFormat]
  await qemuImg('convert', [...args, safePath(request.source), safePath(request.target)], {
    timeoutMs: request.timeoutMs ?? CONVERT_TIMEOUT_MS,
    ...(request.signal ? { signal: request.signal } : {})
  })
}

/** Changes the size the guest sees; growing never touches existing data. */
export async function resizeImage(path: string, format: ImageFormat, sizeBytes: number): Promise<void> {
  await qemuImg('resize', ['resize', '-q', '-f', format, safePath(path), String(sizeBytes)])
}

/** Format and sizes of an existing image. */
export async function imageInfo(path: string): Promise<QemuImageInfo> {
  // -U: still readable while a running VM holds the image's lock.
  const stdout = await qemuImg('info', ['info', '-U', '--output=json', safePath(path)])
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(stdout) as Record<string, unknown>
  } catch {
    throw new BpvmError('QEMU_IMG_FAILED', `qemu-img info printed something that is not JSON: ${stdout.slice(0, 200)}`)
  }
  if (typeof parsed.format !== 'string' || typeof parsed['virtual-size'] !== 'number') {
    throw new BpvmError('QEMU_IMG_FAILED', 'qemu-img info did not report a format and virtual size')
  }
  const text = (key: string): string | undefined => (typeof parsed[key] === 'string' ? parsed[key] : undefined)
  const backingFile = text('full-backing-filename') ?? text('backing-filename')
  const backingFormat = text('backing-filename-format')
  return {
    format: parsed.format,
    virtualSizeBytes: parsed['virtual-size'],
    ...(typeof parsed['actual-size'] === 'number' ? { actualSizeBytes: parsed['actual-size'] } : {}),
    ...(backingFile !== undefined ? { backingFile } : {}),
    ...(backingFormat !== undefined ? { backingFormat } : {})
  }
}
