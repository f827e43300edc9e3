import { resolve } from 'node:path'
import { ExecaError, execa } from 'execa'
import { BpvmError } from '../errors'

/** The only door to `qemu-img`: every call goes through here, with its stderr kept for the error. */

export interface QemuImageInfo {
  /** e.g. `qcow2`, `raw`. */
  format: string
  /** Size the guest sees. */
  virtualSizeBytes: number
  /** Space the file takes on the host. */
  actualSizeBytes?: number
}

const TIMEOUT_MS = 60_000

async function qemuImg(action: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execa('qemu-img', args, { timeout: TIMEOUT_MS, stdin: 'ignore' })
    return stdout
  } catch (error) {
    if (error instanceof ExecaError) {
      if (error.code === 'ENOENT') {
        throw new BpvmError('PROGRAM_NOT_FOUND', 'qemu-img is not installed (install the qemu-utils package)', { program: 'qemu-img' })
      }
      const why = error.timedOut ? `timed out after ${TIMEOUT_MS / 1000} s` : (String(error.stderr ?? '').trim() || error.shortMessage)
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

/** Format and sizes of an existing image. */
export async function imageInfo(path: string): Promise<QemuImageInfo> {
  // -U: still readable while a running VM holds the image's lock.
  const stdout = await qemuImg('info', ['info', '-U', '--output=json', safePath(path)])
  let parsed: { format?: unknown; 'virtual-size'?: unknown; 'actual-size'?: unknown }
  try {
    parsed = JSON.parse(stdout) as typeof parsed
  } catch {
    throw new BpvmError('QEMU_IMG_FAILED', `qemu-img info printed something that is not JSON: ${stdout.slice(0, 200)}`)
  }
  if (typeof parsed.format !== 'string' || typeof parsed['virtual-size'] !== 'number') {
    throw new BpvmError('QEMU_IMG_FAILED', 'qemu-img info did not report a format and virtual size')
  }
  return {
    format: parsed.format,
    virtualSizeBytes: parsed['virtual-size'],
    ...(typeof parsed['actual-size'] === 'number' ? { actualSizeBytes: parsed['actual-size'] } : {})
  }
}
