import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { buildFatImage } from '../../../src/main/runtime/disk/fat/buildFatImage'
import { FAT32_MIN_CLUSTERS } from '../../../src/main/runtime/disk/fat/fatLayout'
import { fatInspectPrograms, fsckFat, mdirListing } from '../../support/fatInspect'
import { expectRoundTrip } from '../../support/fatRoundTrip'
import { makeTempDir, removeDir, type TreeSpec } from '../../support/hostTrees'
import { describeWithPrograms } from '../../support/prerequisites'

const bytes = (n: number, seed = 7): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

describeWithPrograms(fatInspectPrograms, 'FAT32 images read back by fsck.fat, blkid and mtools', () => {
  it('holds an empty volume and empty files', async () => {
    await expectRoundTrip({})
    const report = await expectRoundTrip({ empty: '', 'also empty.txt': '', dir: { nothing: '' } })
    expect(report.clusters).toBeGreaterThanOrEqual(FAT32_MIN_CLUSTERS)
  })

  it('holds files of exactly one cluster and one byte more, with small and large clusters', async () => {
    const small = await expectRoundTrip({ one: bytes(512), 'one+1': bytes(513), 'one-1': bytes(511) })
    expect(small.clusterBytes).toBe(512)
    // Over 32 MiB of payload switches to 4 KiB clusters.
    const large = await expectRoundTrip({ big: bytes(33 * 1024 * 1024), one: bytes(4096), 'one+1': bytes(4097) })
    expect(large.clusterBytes).toBe(4096)
  })

  it('holds 2 000 files in one directory', async () => {
    const many: TreeSpec = {}
    for (let i = 0; i < 2000; i++) many[`key-${String(i).padStart(4, '0')}.json`] = `{"n":${i}}`
    await expectRoundTrip({ keystore: many })
  })

  it('holds a tree nested 12 deep', async () => {
    let tree: TreeSpec = { 'leaf.bin': bytes(1000) }
    for (let depth = 12; depth >= 1; depth--) tree = { [`level-${depth}`]: tree, [`file-${depth}`]: `depth ${depth}` }
    await expectRoundTrip(tree)
  })

  it('keeps Unicode and long names, and names differing only by case', async () => {
    await expectRoundTrip({
      'résumé – final.txt': 'a',
      '日本語のファイル名.dat': 'b',
      [`${'long-name-'.repeat(25)}end`]: 'c',
      'with spaces and.many.dots.tar.gz': 'd',
      '.hidden': 'e',
      'README.TXT': 'upper',
      'Readme.txt': 'mixed',
      'readme.txt': 'lower',
      Keys: { inner: 'x' },
      keys: { inner: 'y' }
    })
  })

  it('gives unique aliases to many names sharing one 8.3 stem', async () => {
    const spec: TreeSpec = {}
    for (let i = 0; i < 300; i++) spec[`blueprint-keystore-entry-${i}.json`] = String(i)
    await expectRoundTrip(spec)
  })

  it('writes long names that mtools lists beside their aliases', async () => {
    const work = await makeTempDir()
    try {
      const image = join(work, 'cidata.img')
      await buildFatImage({
        label: 'CIDATA',
        out: image,
        entries: ['user-data', 'meta-data', 'network-config'].map((name) => ({ kind: 'file', name, source: { bytes: new TextEncoder().encode(name) } }))
      })
      await fsckFat(image)
      const listing = await mdirListing(image)
      for (const name of ['user-data', 'meta-data', 'network-config']) expect(listing).toContain(name)
      expect(listing).toContain('Volume in drive : is CIDATA')
    } finally {
      await removeDir(work)
    }
  })

  it('costs almost no disk: the volume is sparse', async () => {
    const work = await makeTempDir()
    try {
      const image = join(work, 'tiny.img')
      const report = await buildFatImage({ label: 'TINY', out: image, entries: [{ kind: 'file', name: 'a', source: { bytes: bytes(10) } }] })
      const info = await stat(image)
      expect(info.size).toBe(report.imageBytes)
      expect(report.clusters).toBeGreaterThanOrEqual(FAT32_MIN_CLUSTERS)
      expect(info.blocks * 512).toBeLessThan(info.size / 20)
    } finally {
      await removeDir(work)
    }
  })
})
