import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
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
 * the old content or the new, never a torn file: write a temp file, fsync, rename over, fsync the directory.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const dir = dirname(file)
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', 0o600).catch((error: unknown) => {
    throw diskFull(error, file) ?? error
  })
  try {
    try {
      await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw diskFull(error, file) ?? error
  }
  // The rename itself is durable only once the directory is on disk.
  const directory = await open(dir, 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}
