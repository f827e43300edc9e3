import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A file tree described in memory: a string or bytes is a file, an object is a directory. */
export type TreeSpec = { [name: string]: string | Uint8Array | TreeSpec }

export async function makeTempDir(prefix = 'bpvm-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export async function writeTree(root: string, spec: TreeSpec): Promise<void> {
  await mkdir(root, { recursive: true })
  for (const [name, value] of Object.entries(spec)) {
    const path = join(root, name)
    if (typeof value === 'string' || value instanceof Uint8Array) await writeFile(path, value)
    else await writeTree(path, value)
  }
}

/** Every path under `root` mapped to `dir` or the sha256 of its bytes: two trees are equal when these are. */
export async function digestTree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {}
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const rel = `${prefix}${entry.name}`
      if (entry.isDirectory()) {
        result[rel] = 'dir'
        await walk(join(dir, entry.name), `${rel}/`)
      } else {
        result[rel] = createHash('sha256').update(await readFile(join(dir, entry.name))).digest('hex')
      }
    }
  }
  await walk(root, '')
  return result
}
