import { lstat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { imageInfo } from '../disk/qemuImg'
import { BpvmError } from '../../../shared/errors'
import { removeImage, type RemovedImage } from '../image/imageCatalog'
import { appDirs } from '../appDirs'
import { instancePaths, listInstances } from './instanceRecord'
import { INSTANCE_DISK_FILES } from './instanceDisks'

/** Instances whose root disk is an overlay on a file inside `imageDir`: removing the image would break them. */
export async function instancesUsingImage(imageDir: string): Promise<string[]> {
  const dir = resolve(imageDir)
  const users: string[] = []
  for (const record of await listInstances()) {
    const root = join(instancePaths(record.name).disks, INSTANCE_DISK_FILES.root)
    if (!(await lstat(root).catch(() => undefined))?.isFile()) continue
    const backing = (await imageInfo(root).catch(() => undefined))?.backingFile
    if (backing !== undefined && !relative(dir, resolve(backing)).startsWith('..')) users.push(record.name)
  }
  return users
}

/**
 * Removes a cached image unless an instance's root disk still sits on it; `force` removes it
 * anyway (those instances then cannot boot until their root disk is made anew with `down --purge`).
 */
export async function removeImageIfUnused(name: string, { force = false }: { force?: boolean } = {}): Promise<RemovedImage> {
  const cacheDir = appDirs().cache
  const target = resolve(join(cacheDir, 'images'), name)
  const users = force ? [] : await instancesUsingImage(target)
  if (users.length > 0) {
    throw new BpvmError('IMAGE_IN_USE', `name: ${name} holds the root disk base of ${users.join(', ')}; remove those instances (bpvm down NAME --purge) or pass --force`, { field: 'name', instances: users })
  }
  return removeImage(name, { cacheDir })
}
