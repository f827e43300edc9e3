import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { BpvmError, invalidInput } from '../errors'

/**
 * Checks, before any work starts, that a file can be written at `out`: its directory exists
 * and accepts writes, and `out` is not itself a directory. Returns the absolute path.
 */
export async function checkOutputFile(out: string, field = '--out'): Promise<string> {
  if (typeof out !== 'string' || out.trim() === '') throw invalidInput(field, 'is required')
  if (out.includes('\0')) throw invalidInput(field, 'contains a NUL character')
  const path = resolve(out)
  const existing = await stat(path).catch(() => undefined)
  if (existing?.isDirectory()) throw invalidInput(field, `${path} is a directory; give a file name inside it`)
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
