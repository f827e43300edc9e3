import { execa } from 'execa'
import { BpvmError } from '../../../../shared/errors'
import { programFailure, type ProgramInfo } from './programFailure'

/**
 * The only door to the dynamic loader (`ld-linux-x86-64.so.2`) of an unpacked package tree: asks
 * it which shared libraries a program needs, resolved inside that tree, never the host's.
 */

const INFO: ProgramInfo = { program: 'ld-linux-x86-64.so.2', debianPackage: 'libc6', code: 'LOADER_FAILED', timeoutMs: 30_000 }

export interface NeededLibrary {
  /** The name the program asks for (its soname), e.g. `libc.so.6`. */
  soname: string
  /** Where the loader found it. */
  path: string
}

/** The libraries `program` loads, transitively, as `loader --list` resolves them in `libraryDirs`. */
export async function neededLibraries(loader: string, libraryDirs: readonly string[], program: string): Promise<NeededLibrary[]> {
  let stdout: string
  try {
    stdout = (await execa(loader, ['--library-path', libraryDirs.join(':'), '--list', program], { timeout: INFO.timeoutMs, stdin: 'ignore', env: { LC_ALL: 'C' }, extendEnv: false })).stdout
  } catch (error) {
    throw programFailure(INFO, `${loader} --list ${program}`, error)
  }
  return parseLoaderList(stdout)
}

/**
 * Reads `ld.so --list` output: `libssl.so.3 => /x/libssl.so.3 (0x…)`. The vDSO has no file; the
 * loader's own line (`/lib64/ld-linux-x86-64.so.2 => …`) is left out, as the caller has the loader.
 */
export function parseLoaderList(text: string): NeededLibrary[] {
  const libraries: NeededLibrary[] = []
  const missing = [...text.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1])
  if (missing.length > 0) throw new BpvmError(INFO.code, `the loader found no ${missing.join(', ')} for the program`, { program: INFO.program, missing })
  for (const line of text.split('\n')) {
    const match = /^\s*(\S+) => (\S+) \(0x[0-9a-f]+\)\s*$/.exec(line)
    if (!match) continue
    const [, soname, path] = match as unknown as [string, string, string]
    if (soname.includes('/')) continue
    libraries.push({ soname, path })
  }
  return libraries
}
