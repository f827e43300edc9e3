import { mkdir, readdir, readFile, rename, symlink, truncate, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildFatImage } from '../../../src/main/runtime/disk/fat/buildFatImage'
import type { FatNode } from '../../../src/main/runtime/disk/fat/fatTypes'
import { readHostTree } from '../../../src/main/runtime/disk/fat/hostTree'
import { makeTempDir, removeDir } from '../../support/hostTrees'

let work: string
beforeEach(async () => {
  work = await makeTempDir()
})
afterEach(async () => {
  await removeDir(work)
})

const file = (name: string, path: string): FatNode => ({ kind: 'file', name, source: { path } })
const inline = (name: string, text = 'x'): FatNode => ({ kind: 'file', name, source: { bytes: new TextEncoder().encode(text) } })

/** The build must fail with `code`, mention `mention`, and leave the output directory as it was. */
async function expectRefused(entries: FatNode[], code: string, mention: string | RegExp): Promise<void> {
  const before = await readdir(work)
  const failure = buildFatImage({ label: 'BAD', out: join(work, 'out.img'), entries })
  await expect(failure).rejects.toMatchObject({ code })
  await expect(failure).rejects.toThrow(mention)
  expect(await readdir(work)).toEqual(before)
}

describe('FAT32 writer refuses bad input and leaves nothing behind', () => {
  it('refuses names FAT cannot hold, naming them', async () => {
    await expectRefused([inline('good'), { kind: 'dir', name: 'keys', children: [inline('a:b')] }], 'INVALID_NAME', '/keys/a:b')
    await expectRefused([inline('trailing.')], 'INVALID_NAME', 'trailing.')
    await expectRefused([inline('same'), inline('same')], 'INVALID_NAME', 'appears twice')
  })

  it('refuses a file over 4 GiB − 1 byte (a sparse 5 GiB file costs no disk)', async () => {
    const huge = join(work, 'huge.bin')
    await writeFile(huge, '')
    await truncate(huge, 5 * 1024 ** 3)
    await expectRefused([file('service', huge)], 'SOURCE_TOO_LARGE', huge)
  })

  it('refuses a missing source, a directory as a file, and a label it cannot store', async () => {
    await expectRefused([file('service', join(work, 'missing'))], 'SOURCE_NOT_FOUND', 'missing')
    await mkdir(join(work, 'adir'))
    await expectRefused([file('service', join(work, 'adir'))], 'INVALID_INPUT', 'not a regular file')
    await expect(buildFatImage({ label: 'lower case', out: join(work, 'x.img'), entries: [] })).rejects.toThrow(/^label:/)
  })

  it('refuses a path too deep', async () => {
    let nodes: FatNode[] = [inline('leaf')]
    for (let i = 0; i < 40; i++) nodes = [{ kind: 'dir', name: `d${i}`, children: nodes }]
    await expectRefused(nodes, 'PATH_TOO_DEEP', 'directories deep')
  })

  it('refuses a missing output directory, naming the field', async () => {
    await expect(buildFatImage({ label: 'X', out: join(work, 'nope', 'out.img'), entries: [] })).rejects.toThrow(/^out: directory .* does not exist/)
  })

  it('keeps an existing image when a rebuild fails', async () => {
    const out = join(work, 'out.img')
    await writeFile(out, 'previous image')
    await expect(buildFatImage({ label: 'X', out, entries: [inline('bad|name')] })).rejects.toMatchObject({ code: 'INVALID_NAME' })
    expect(await readFile(out, 'utf8')).toBe('previous image')
  })

  it('reads host trees exactly, refusing symbolic links and special files', async () => {
    await mkdir(join(work, 'ks', 'a', 'b'), { recursive: true })
    await writeFile(join(work, 'ks', 'a', 'b', 'key'), 'k')
    await writeFile(join(work, 'ks', 'top'), 't')
    const tree = await readHostTree(join(work, 'ks'), 'keystore')
    expect(tree.map((n) => n.name)).toEqual(['a', 'top'])
    await symlink('/etc/passwd', join(work, 'ks', 'a', 'escape'))
    await expect(readHostTree(join(work, 'ks'), 'keystore')).rejects.toThrow(/^keystore: .*escape is a symbolic link/)
    await removeDir(join(work, 'ks', 'a', 'escape'))
    execFileSync('mkfifo', [join(work, 'ks', 'pipe')])
    await expect(readHostTree(join(work, 'ks'), 'keystore')).rejects.toThrow(/pipe is not a regular file or directory/)
    await expect(readHostTree(join(work, 'nothing'), 'keystore')).rejects.toThrow(/^keystore: .* does not exist/)
  })

  it('opens each checked file as the very file checked: a link or another file put in its place is refused', async () => {
    await mkdir(join(work, 'ks'))
    await writeFile(join(work, 'ks', 'key'), 'the key')
    const [checked] = (await readHostTree(join(work, 'ks'), 'keystore')) as [FatNode]
    expect(checked).toMatchObject({ kind: 'file', source: { path: join(work, 'ks', 'key'), identity: { dev: expect.any(Number), ino: expect.any(Number) } } })
    // Swapped after the check: another file under the same name (the first kept, so its inode cannot be reused)…
    await rename(join(work, 'ks', 'key'), join(work, 'original'))
    await writeFile(join(work, 'other'), 'the key')
    execFileSync('cp', [join(work, 'other'), join(work, 'ks', 'key')])
    await expectRefused([checked], 'SOURCE_CHANGED', /key was replaced by another file after it was checked/)
    // …or a link to a file outside the tree.
    await removeDir(join(work, 'ks', 'key'))
    await symlink(join(work, 'other'), join(work, 'ks', 'key'))
    await expectRefused([checked], 'SYMLINK_REFUSED', /key became a symbolic link after it was checked/)
  })

  it('stops when cancelled, before or during the copy, and removes the partial image', async () => {
    const big = join(work, 'big.bin')
    await writeFile(big, randomBytes(64 * 1024 * 1024))
    const small = join(work, 'small.bin')
    await writeFile(small, 'x')
    const early = new AbortController()
    const building = buildFatImage({ label: 'X', out: join(work, 'out.img'), entries: [file('big', big)] }, { signal: early.signal })
    early.abort()
    await expect(building).rejects.toMatchObject({ code: 'CANCELLED' })
    // Cancelled at the first progress report, with the second file still to copy.
    const midway = new AbortController()
    const copying = buildFatImage(
      { label: 'X', out: join(work, 'out.img'), entries: [file('big', big), file('small', small)] },
      { signal: midway.signal, onProgress: () => midway.abort() }
    )
    await expect(copying).rejects.toMatchObject({ code: 'CANCELLED' })
    expect((await readdir(work)).sort()).toEqual(['big.bin', 'small.bin'])
    // The writer pool recovers: the next build works.
    await expect(buildFatImage({ label: 'X', out: join(work, 'out.img'), entries: [file('small', small)] })).resolves.toMatchObject({ files: 1 })
  })
})

describe('FAT32 writer stays off the caller thread', () => {
  it('keeps the event loop turning while it copies', async () => {
    const big = join(work, 'big.bin')
    await writeFile(big, randomBytes(64 * 1024 * 1024))
    let turns = 0
    let spinning = true
    const spin = (): void => {
      turns++
      if (spinning) setImmediate(spin)
    }
    setImmediate(spin)
    const report = await buildFatImage({ label: 'X', out: join(work, 'out.img'), entries: [file('big', big)] })
    spinning = false
    expect(report.payloadBytes).toBe(64 * 1024 * 1024)
    // Built on this thread, the copy would run between two turns and this would be 0 or 1.
    expect(turns).toBeGreaterThan(10)
  })
})
