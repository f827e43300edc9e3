import { constants } from 'node:fs'
import { lstat, mkdir, open, symlink, unlink } from 'node:fs/promises'
import { join, normalize, sep } from 'node:path'
import { BpvmError } from '../../../../shared/errors'

/**
 * Writes into a built root file system from the host without ever following a link in it:
 * the tree is the guest's, and an absolute symlink such as `/etc/resolv.conf` points at the
 * host's own file when seen from outside. Every directory on the way is checked with lstat,
 * files are opened with O_NOFOLLOW, and only a link itself is ever replaced.
 */

function inside(tree: string, relPath: string): string[] {
  const parts = normalize(relPath).split(sep).filter(Boolean)
  if (parts.length === 0 || parts.includes('..') || relPath.startsWith('/')) throw new BpvmError('INTERNAL', `${relPath} is not a path inside the tree`)
  return parts
}

/** Makes the parent directories of `relPath` (mode 755), refusing any that is a link or a file. */
async function parentDirs(tree: string, parts: string[]): Promise<string> {
  let dir = tree
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part)
    const info = await lstat(dir).catch(() => undefined)
    if (!info) await mkdir(dir, { mode: 0o755 })
    else if (!info.isDirectory()) throw new BpvmError('IMAGE_BUILD_FAILED', `${dir} in the built tree is not a directory (a link?); refusing to write through it`)
  }
  return join(dir, parts[parts.length - 1]!)
}

/** Removes a link or file at `path` (never what a link points at); a directory is refused. */
async function clear(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined)
  if (!info) return
  if (info.isDirectory()) throw new BpvmError('IMAGE_BUILD_FAILED', `${path} in the built tree is a directory; refusing to replace it`)
  await unlink(path)
}

export async function writeTreeFile(tree: string, relPath: string, content: string, mode = 0o644): Promise<void> {
  const path = await parentDirs(tree, inside(tree, relPath))
  await clear(path)
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode)
  try {
    await handle.writeFile(content)
    await handle.chmod(mode)
  } finally {
    await handle.close()
  }
}

/** A symlink in the tree; `target` is read by the guest, never resolved here. */
export async function writeTreeLink(tree: string, relPath: string, target: string): Promise<void> {
  const path = await parentDirs(tree, inside(tree, relPath))
  await clear(path)
  await symlink(target, path)
}
