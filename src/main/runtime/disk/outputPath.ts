import { constants } from 'node:fs'
import { access, lstat, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { BpvmError, invalidInput } from '../../../shared/errors'

export interface OutputFileOptions {
  /** An existing regular file at `out` may be replaced (`--force`, or a file of bpvm's own it rewrites). */
  replace?: boolean
}

/**
 * Checks, before any work starts, that a file can be written at `out`: its directory exists
 * and accepts writes, and `out` is a new path, or a regular file the caller may replace. A
 * device node, a FIFO, a socket, a directory or a link is never written over. Returns the
 * absolute path.
 */
export async function checkOutputFile(out: string, field = 'out', options: OutputFileOptions = {}): Promise<string> {
  if (typeof out !== 'string' || out.trim() === '') throw invalidInput(field, 'is required')
  if (out.includes('\0')) throw invalidInput(field, 'contains a NUL character')
  const path = resolve(out)
  const existing = await lstat(path).catch(() => undefined)
  if (existing?.isDirectory()) throw invalidInput(field, `${path} is a directory; give a file name inside it`)
  if (existing && !existing.isFile()) {
    const what = existing.isSymbolicLink() ? 'a link' : existing.isFIFO() ? 'a FIFO' : existing.isSocket() ? 'a socket' : 'a device'
    throw invalidInput(field, `${path} exists and is ${what}, not a regular file; it is never written over`)
  }
  if (existing && !options.replace) throw new BpvmError('OUTPUT_EXISTS', `${field}: ${path} exists; pass --force to replace it`, { field, path })
  const dir = dirname(path)
  const dirInfo = await stat(dir).catch(() => undefined)
  if (!dirInfo) throw new BpvmError('INVALID_INPUT', `${field}: directory ${dir} does not exist`, { field, path: dir })
  if (!dirInfo.isDirectory()) throw new BpvmError('INVALID_INPUT', `${field}: ${dir} is not a directory`, { field, path: dir })
  try {
    // access() also reports a read-only mount (EROFS), which file modes alone would not show.
    await access(dir, constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EROFS' ? 'is on a read-only filesystem' : 'is not writable'
    throw new BpvmError('OUTPUT_NOT_WRITABLE', `${field}: directory ${dir} ${why}`, { field, path: dir })
  }
  return path
}
