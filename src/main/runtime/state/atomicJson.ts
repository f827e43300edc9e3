import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import writeFileAtomic from 'write-file-atomic'
import { BpvmError } from '../../../shared/errors'
import { diskFull } from './diskFull'

/**
 * The file's text, or undefined when it does not exist. Only a regular file is read: a FIFO
 * would block the reader forever, a device could be anything; either is an error naming it.
 */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  let handle
  try {
    // Non-blocking, so opening a FIFO does not wait for a writer; the check below refuses it.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    if (!(await handle.stat()).isFile()) throw new BpvmError('STATE_NOT_A_FILE', `${file} is not a regular file; remove it (bpvm writes its state files itself)`, { file })
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}

/**
 * Replaces `file` with `value` as JSON so that a reader, or a crash at any moment, sees either
 * the old content or the new, never a torn file: write-file-atomic writes a temp file beside
 * it, fsyncs and renames it over (removing the temp file on failure); the directory is then
 * fsynced too, since the rename is durable only once the directory is on disk. A full disk is
 * reported naming `file`.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  try {
    await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, fsync: true })
  } catch (error) {
    throw diskFull(error, file) ?? error
  }
  const directory = await open(dirname(file), 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}
