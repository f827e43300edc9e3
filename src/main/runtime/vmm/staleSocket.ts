import { lstat, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { BpvmError } from '../../../shared/errors'
import { checkSocketPath } from './vmSpec'

/** Whether something accepts connections on the Unix socket at `path`. */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    const done = (answer: boolean): void => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Removes a socket left by a VMM that crashed or was killed, so the next one can bind. A socket
 * some live process still answers on is never removed: that is an error naming it.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  checkSocketPath('control socket', path)
  const info = await lstat(path).catch(() => undefined)
  if (!info) return
  if (!info.isSocket()) throw new BpvmError('SOCKET_PATH_TAKEN', `${path} exists and is not a socket; remove it or choose another directory`, { path })
  if (await socketAnswers(path)) {
    throw new BpvmError('SOCKET_IN_USE', `another process is listening on ${path}: a VMM for this instance may still be running`, { path })
  }
  await unlink(path)
}
