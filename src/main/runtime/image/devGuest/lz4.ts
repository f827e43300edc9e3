import { execa } from 'execa'
import { programFailure, type ProgramInfo } from './programFailure'

/** The only door to `lz4`: decompresses the payload of a kernel image (the legacy frame Linux writes). */

const INFO: ProgramInfo = { program: 'lz4', debianPackage: 'lz4', code: 'KERNEL_PACKAGE_INVALID', timeoutMs: 60_000 }

/** Decompresses the file `input` into the new file `output`. */
export async function lz4Decompress(input: string, output: string): Promise<void> {
  try {
    await execa('lz4', ['-d', '-q', '--', input, output], { timeout: INFO.timeoutMs, stdin: 'ignore' })
  } catch (error) {
    throw programFailure(INFO, `lz4 -d ${input}`, error)
  }
}
