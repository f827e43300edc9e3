import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** Bytes the files of a tree take, links not followed. */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await treeBytes(path)
    else if (entry.isFile()) total += (await lstat(path)).size
  }
  return total
}
