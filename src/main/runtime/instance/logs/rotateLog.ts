import { copyFile, rename, stat, truncate, unlink } from 'node:fs/promises'
import { invalidInput } from '../../../../shared/errors'

/**
 * Keeps a log bounded on disk: once it reaches `maxBytes` its content moves to `<path>.1`
 * (one generation kept, the previous `.1` is replaced), so at most about twice the setting.
 *
 * How depends on who holds the file open:
 * - `rename`: for files bpvm writes itself and reopens for every write (the launch log).
 *   Atomic and loses nothing, but a process that holds the file open would go on writing into `.1`.
 * - `copyTruncate`: for files a VMM holds open with O_APPEND (its stdout/stderr, which
 *   vmmProcess opens with 'a'; QEMU's serial chardev once it is given `append=on`). The writer keeps
 *   its descriptor and, being in append mode, goes on at the new end of the emptied file. What is
 *   written between the end of the copy and the truncation is lost (as with logrotate's copytruncate).
 * A writer that does not append keeps its own file offset, so after a truncation it leaves a
 * hole of zeros as long as the old file: such logs can only be rotated (`rename`) while no VMM
 * has them open, i.e. between boots. cloud-hypervisor's File serial mode is one (it truncates on
 * open and does not append), and so is QEMU's `-chardev file` without `append=on`; since both
 * truncate on open, the previous boot's serial log survives only if it is rotated before the next boot.
 */

export const DEFAULT_ROTATE_BYTES = 16 * 1024 * 1024

export type RotationMode = 'rename' | 'copyTruncate'

export interface RotateOptions {
  /** Default `copyTruncate`, the one that is safe for any appending writer. */
  mode?: RotationMode
}

/** The one rotated generation of a log. */
export function rotatedPath(path: string): string {
  return `${path}.1`
}

/** Rotates `path` when it holds `maxBytes` or more; true if it did. A missing file is left alone. */
export async function rotateIfNeeded(path: string, maxBytes = DEFAULT_ROTATE_BYTES, { mode = 'copyTruncate' }: RotateOptions = {}): Promise<boolean> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw invalidInput('maxBytes', `${maxBytes} is not a positive whole number of bytes`)
  const size = (await stat(path).catch(ignoreMissing))?.size
  if (size === undefined || size < maxBytes) return false
  if (mode === 'copyTruncate') {
    await copyTruncate(path)
    return true
  }
  try {
    await rename(path, rotatedPath(path))
    return true
  } catch (error) {
    // Gone since the stat: rotated already by another writer.
    return ignoreMissing(error) ?? false
  }
}

async function copyTruncate(path: string): Promise<void> {
  const temporary = `${rotatedPath(path)}.tmp`
  try {
    // Copied aside first so the old `.1` is replaced in one step, and before the live file is
    // emptied, so a reader that sees the truncation already finds the bytes in `.1`.
    await copyFile(path, temporary)
    await rename(temporary, rotatedPath(path))
  } catch (error) {
    await unlink(temporary).catch(() => undefined)
    throw error
  }
  await truncate(path, 0)
}

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
  throw error
}
