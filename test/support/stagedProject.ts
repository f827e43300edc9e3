import { cp, mkdir, readdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from './runCli'

// What `npm start` needs of a clone: the scripts, the sources it builds, and their configuration.
const PROJECT_FILES = ['scripts', 'bin', 'src', 'assets', 'package.json', 'electron.vite.config.ts', 'tsconfig.json', 'tsconfig.node.json', 'tsconfig.web.json']

/**
 * A copy of this project in `dir` as a fresh `npm ci` leaves it: every package linked from this
 * checkout's node_modules except `electron`, which is copied without its binary (no dist/, no
 * path.txt), so the start script can fetch one there without touching this checkout's.
 */
export async function stageFreshProject(dir: string): Promise<string> {
  for (const file of PROJECT_FILES) await cp(join(repoRoot, file), join(dir, file), { recursive: true })
  const modules = join(dir, 'node_modules')
  await mkdir(modules)
  for (const entry of await readdir(join(repoRoot, 'node_modules'))) {
    if (entry === 'electron' || entry === '.cache') continue
    await symlink(join(repoRoot, 'node_modules', entry), join(modules, entry))
  }
  await cp(join(repoRoot, 'node_modules', 'electron'), join(modules, 'electron'), {
    recursive: true,
    filter: (source) => !/[/\\]electron[/\\](dist|path\.txt)$/.test(source.slice(repoRoot.length))
  })
  return dir
}
