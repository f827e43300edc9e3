import { execa } from 'execa'
import { programFailure, type ProgramInfo } from './programFailure'

/** The only door to `depmod`: Debian kernel packages ship no modules.dep, their postinst makes it. */

const INFO: ProgramInfo = { program: 'depmod', debianPackage: 'kmod', code: 'DEPMOD_FAILED', timeoutMs: 60_000 }

/** Writes `modules.dep` (and its siblings) for kernel `release` unpacked under `root`. */
export async function generateModuleIndex(root: string, release: string): Promise<void> {
  try {
    await execa('depmod', ['-b', root, '--', release], { timeout: INFO.timeoutMs, stdin: 'ignore' })
  } catch (error) {
    throw programFailure(INFO, `depmod for kernel ${release}`, error)
  }
}
