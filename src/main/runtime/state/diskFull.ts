import { BpvmError } from '../../../shared/errors'

/** A full disk (or quota) when writing `file`, as an error that names it; undefined for any other failure. */
export function diskFull(error: unknown, file: string): BpvmError | undefined {
  const code = (error as NodeJS.ErrnoException).code
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined
  return new BpvmError('DISK_FULL', `no space left on the disk to write ${file} (bpvm down --purge frees an instance's files)`, { file })
}
