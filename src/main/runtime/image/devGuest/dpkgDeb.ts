import { execa } from 'execa'
import { programFailure, type ProgramInfo } from './programFailure'

/** The only door to `dpkg-deb`: unpacks a package's files without installing it. */

const INFO: ProgramInfo = { program: 'dpkg-deb', debianPackage: 'dpkg', code: 'DPKG_FAILED', timeoutMs: 120_000 }

/** Extracts the files of `deb` under `dir`, as `dpkg -i` would lay them out under `/`. */
export async function extractPackage(deb: string, dir: string): Promise<void> {
  try {
    await execa('dpkg-deb', ['-x', '--', deb, dir], { timeout: INFO.timeoutMs, stdin: 'ignore' })
  } catch (error) {
    throw programFailure(INFO, `dpkg-deb -x ${deb}`, error)
  }
}
