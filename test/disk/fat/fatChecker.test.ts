import { copyFile, open } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { buildFatImage } from '../../../src/main/runtime/disk/fat/buildFatImage'
import { fatInspectPrograms, fsckFat } from '../../support/fatInspect'
import { makeTempDir, removeDir } from '../../support/hostTrees'
import { describeWithPrograms } from '../../support/prerequisites'

async function patch(path: string, offset: number, bytes: number[]): Promise<void> {
  const file = await open(path, 'r+')
  await file.write(Uint8Array.from(bytes), 0, bytes.length, offset)
  await file.close()
}

// fsck.fat exits 0 on these; the image tests rely on the checker reading its output.
describeWithPrograms(fatInspectPrograms, 'the fsck.fat check itself', () => {
  it('rejects an unknown FSInfo free count and a bad long-name checksum', async () => {
    const work = await makeTempDir()
    try {
      const good = join(work, 'good.img')
      const report = await buildFatImage({ label: 'CHECK', out: good, entries: [{ kind: 'file', name: 'long name.txt', source: { bytes: new Uint8Array([1]) } }] })
      await fsckFat(good)

      const freeUnknown = join(work, 'free.img')
      await copyFile(good, freeUnknown)
      await patch(freeUnknown, 512 + 488, [0xff, 0xff, 0xff, 0xff])
      await expect(fsckFat(freeUnknown)).rejects.toThrow(/Free cluster summary/)

      // Root directory: label entry, then the long-name entry whose checksum byte is at +13.
      const dataStart = report.imageBytes - report.clusters * report.clusterBytes
      const badChecksum = join(work, 'checksum.img')
      await copyFile(good, badChecksum)
      await patch(badChecksum, dataStart + 32 + 13, [0x00])
      await expect(fsckFat(badChecksum)).rejects.toThrow(/checksum/)
    } finally {
      await removeDir(work)
    }
  })
})
