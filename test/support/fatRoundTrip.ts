import { join } from 'node:path'
import { expect } from 'vitest'
import { buildFatImage } from '../../src/main/runtime/disk/fat/buildFatImage'
import type { FatBuildReport } from '../../src/main/runtime/disk/fat/fatTypes'
import { readHostTree } from '../../src/main/runtime/disk/fat/hostTree'
import { blkidLabel, blkidType, extractFat, fsckFat } from './fatInspect'
import { digestTree, makeTempDir, removeDir, writeTree, type TreeSpec } from './hostTrees'

/**
 * Writes `spec` to a host directory, builds an image of it, and proves with the real tools
 * that it is a clean FAT32 volume holding exactly that tree: fsck.fat finds nothing, blkid
 * sees the label, mtools copies back the same names and bytes.
 */
export async function expectRoundTrip(spec: TreeSpec, label = 'TESTVOL'): Promise<FatBuildReport> {
  const work = await makeTempDir()
  try {
    const source = join(work, 'source')
    const back = join(work, 'back')
    await writeTree(source, spec)
    await writeTree(back, {})
    const image = join(work, 'volume.img')
    const report = await buildFatImage({ label, out: image, entries: await readHostTree(source, 'source') })
    await fsckFat(image)
    expect(await blkidLabel(image)).toBe(label)
    expect(await blkidType(image)).toEqual({ type: 'vfat', version: 'FAT32' })
    await extractFat(image, back)
    expect(await digestTree(back)).toEqual(await digestTree(source))
    return report
  } finally {
    await removeDir(work)
  }
}
