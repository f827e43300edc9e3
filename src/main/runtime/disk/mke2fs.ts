import { resolve } from 'node:path'
import { ExecaError, execa } from 'execa'
import { BpvmError, invalidInput } from '../../../shared/errors'

/** The only door to `mke2fs`: an ext4 file system made from a directory tree, into a file. */

export interface Ext4FromTreeRequest {
  /** The directory whose contents become the file system's root. */
  tree: string
  /** The raw image file; created or extended as needed. */
  image: string
  /** Where in the image the file system starts (after a partition table). */
  offsetBytes: number
  sizeBytes: number
  label: string
  signal?: AbortSignal
}

const TIMEOUT_MS = 10 * 60_000
const BLOCK_BYTES = 4096

/** `mke2fs -t ext4 -d TREE -E offset=N IMAGE SIZE`: no loop device, no mount, no root needed. */
export async function ext4FromTree(request: Ext4FromTreeRequest): Promise<void> {
  const { offsetBytes, sizeBytes, label } = request
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % 512 !== 0) throw invalidInput('offsetBytes', 'must be a whole number of 512-byte sectors')
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 16 * 2 ** 20 || sizeBytes % BLOCK_BYTES !== 0) throw invalidInput('sizeBytes', 'must be at least 16 MiB in whole 4 KiB blocks')
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(label)) throw invalidInput('label', 'must be 1 to 16 letters, digits, "-" or "_"')
  const args = [
    '-q', '-F', '-t', 'ext4', '-b', String(BLOCK_BYTES), '-L', label,
    '-d', resolve(request.tree),
    '-E', `offset=${offsetBytes}`,
    resolve(request.image), String(sizeBytes / BLOCK_BYTES)
  ]
  try {
    await execa('mke2fs', args, { timeout: TIMEOUT_MS, stdin: 'ignore', env: { LC_ALL: 'C' }, ...(request.signal ? { cancelSignal: request.signal } : {}) })
  } catch (error) {
    if (!(error instanceof ExecaError)) throw error
    if (error.code === 'ENOENT') throw new BpvmError('PROGRAM_NOT_FOUND', 'mke2fs is not installed (install the e2fsprogs package)', { program: 'mke2fs' })
    if (error.isCanceled) throw new BpvmError('CANCELLED', 'making the root file system was cancelled', { program: 'mke2fs' })
    const stderr = String(error.stderr ?? '').trim()
    if (/No space left on device/i.test(stderr)) {
      throw new BpvmError('DISK_FULL', `no space left to write the root file system image ${request.image}: ${stderr}`, { program: 'mke2fs' })
    }
    const why = error.timedOut ? `timed out after ${TIMEOUT_MS / 1000} s` : stderr || error.shortMessage
    throw new BpvmError('MKE2FS_FAILED', `mke2fs failed: ${why}`, { program: 'mke2fs', exitCode: error.exitCode })
  }
}
