import { lstat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { imageInfo } from '../disk/qemuImg'
import { createRootOverlay } from '../image/rootDisk'
import type { PreparedGuest } from './guestImage'

export interface InstanceRootRequest {
  root: NonNullable<PreparedGuest['root']>
  /** The instance's overlay: `<data>/instances/<name>/root.qcow2`. */
  path: string
  /** The storage limit; the overlay is never smaller than its base. */
  sizeBytes: number
}

/**
 * The instance's root disk: an overlay on the image's base. A stopped instance launched again
 * keeps its root disk (what the guest installed stays), as long as it still sits on the same
 * base; an overlay on another base (the image was changed) is made anew.
 */
export async function ensureInstanceRoot(request: InstanceRootRequest): Promise<'created' | 'kept'> {
  const base = resolve(request.root.base)
  const existing = await lstat(request.path).catch(() => undefined)
  if (existing?.isFile()) {
    const current = await imageInfo(request.path).catch(() => undefined)
    if (current?.backingFile !== undefined && resolve(current.backingFile) === base) return 'kept'
  }
  const baseSize = (await imageInfo(base)).virtualSizeBytes
  await createRootOverlay({ base, path: request.path, sizeBytes: Math.max(request.sizeBytes, baseSize), baseFormat: request.root.format, replace: existing !== undefined })
  return 'created'
}
