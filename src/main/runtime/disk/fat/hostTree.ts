import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { BpvmError } from '../../../../shared/errors'
import { MAX_DEPTH } from './fatLimits'
import type { FatNode } from './fatTypes'

/**
 * The exact tree of a host directory as FAT nodes, nested directories kept as they are.
 * Symbolic links and files with more than one hard link are refused rather than followed, so
 * nothing outside the tree is ever read; each file is later opened as the very file checked here.
 */
export async function readHostTree(dir: string, field: string): Promise<FatNode[]> {
  const info = await lstat(dir).catch(() => undefined)
  if (!info) throw new BpvmError('SOURCE_NOT_FOUND', `${field}: ${dir} does not exist`, { field, path: dir })
  if (info.isSymbolicLink()) throw symlinkError(field, dir)
  if (!info.isDirectory()) throw new BpvmError('INVALID_INPUT', `${field}: ${dir} is not a directory`, { field, path: dir })
  return readChildren(dir, field, 1)
}

async function readChildren(dir: string, field: string, depth: number): Promise<FatNode[]> {
  if (depth > MAX_DEPTH) {
    throw new BpvmError('PATH_TOO_DEEP', `${field}: ${dir} is nested more than ${MAX_DEPTH} directories deep`, { field, path: dir })
  }
  const names = (await readdir(dir)).sort()
  const nodes: FatNode[] = []
  for (const name of names) {
    const path = join(dir, name)
    const info = await lstat(path)
    if (info.isSymbolicLink()) throw symlinkError(field, path)
    if (info.isDirectory()) {
      nodes.push({ kind: 'dir', name, hostPath: path, children: await readChildren(path, field, depth + 1) })
    } else if (info.isFile()) {
      // Another name for the same file may lie outside the tree (a secret the user never meant to copy).
      if (info.nlink > 1) throw new BpvmError('HARDLINK_REFUSED', `${field}: ${path} has ${info.nlink} hard links, so it may be a file from outside the tree; copy it instead`, { field, path })
      nodes.push({ kind: 'file', name, source: { path, identity: { dev: info.dev, ino: info.ino } } })
    } else {
      throw new BpvmError('INVALID_INPUT', `${field}: ${path} is not a regular file or directory`, { field, path })
    }
  }
  return nodes
}

function symlinkError(field: string, path: string): BpvmError {
  return new BpvmError('SYMLINK_REFUSED', `${field}: ${path} is a symbolic link; copy the file it points to instead`, { field, path })
}
