import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { BpvmError } from '../../../../shared/errors'
import type { PackageRecord } from './aptCache'
import { programFailure, type ProgramInfo } from './programFailure'

/** The only door to `apt-get`: downloads exact package versions as .deb files, installs nothing. */

const INFO: ProgramInfo = { program: 'apt-get', debianPackage: 'apt', code: 'APT_FAILED', timeoutMs: 300_000 }

/** Downloads each `name=version` into `dir` (which should be empty) and returns the .deb paths, in order. */
export async function downloadPackages(packages: readonly PackageRecord[], dir: string): Promise<string[]> {
  const specs = packages.map((p) => `${p.name}=${p.version}`)
  try {
    await execa('apt-get', ['download', '-q', '--', ...specs], { cwd: dir, timeout: INFO.timeoutMs, stdin: 'ignore', env: { LC_ALL: 'C' } })
  } catch (error) {
    throw programFailure(INFO, `apt-get download ${specs.join(' ')}`, error)
  }
  const files = await readdir(dir)
  return packages.map((p) => {
    // apt names the file `<name>_<version with ':' as %3a>_<arch>.deb`.
    const file = files.find((f) => f.startsWith(`${p.name}_`) && f.endsWith('.deb'))
    if (!file) throw new BpvmError('APT_FAILED', `apt-get download reported success but left no .deb for ${p.name}`, { program: 'apt-get' })
    return join(dir, file)
  })
}
