import { readFile, rm } from 'node:fs/promises'
import { BpvmError } from '../../../shared/errors'

/** Mount points at or below `dir` in this process's mount namespace. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
  // Field 5 is the mount point, with spaces and the like written as octal escapes.
  const points = text.split('\n').map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
  return points.filter((point) => point === dir || point.startsWith(`${dir}/`))
}

/**
 * Removes a scratch directory, unless something is mounted inside it: a recursive removal
 * would go on into the mounted file system (a bind-mounted /dev, say) and delete the host's
 * files. Image builds run mmdebstrap in a mount namespace of its own, so this should never be met.
 */
export async function removeTreeSafely(dir: string): Promise<void> {
  const mounted = await mountsUnder(dir)
  if (mounted.length > 0) {
    throw new BpvmError('IMAGE_BUILD_FAILED', `left ${dir} in place: ${mounted.join(', ')} is mounted inside it (unmount it, then remove the directory)`)
  }
  await rm(dir, { recursive: true, force: true })
}
