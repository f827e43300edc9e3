import { lstat, readdir, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { clearStaleSocket, socketAnswers } from '../staleSocket'

/**
 * cloud-hypervisor binds the vsock socket at vm.boot and fails if the path exists, and a VMM that
 * was killed leaves it behind: remove it first, unless a live VMM still answers on it (an error).
 * `<socket>_<port>` are host listeners it dials for guest-initiated connections: the ones nobody
 * listens on any more are removed, live ones are left to their owner.
 */
export async function clearStaleVsockSockets(socket: string): Promise<void> {
  await clearStaleSocket(socket)
  const prefix = `${basename(socket)}_`
  const names = await readdir(dirname(socket)).catch(() => [] as string[])
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue
    const path = join(dirname(socket), name)
    const info = await lstat(path).catch(() => undefined)
    if (info?.isSocket() && !(await socketAnswers(path))) await unlink(path).catch(() => undefined)
  }
}
