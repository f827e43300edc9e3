import { lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { newcHeader, writeNewcArchive, type ArchiveEntry } from '../../src/main/runtime/image/devGuest/newcArchive'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

const text = (value: string): { bytes: Uint8Array } => ({ bytes: new TextEncoder().encode(value) })

describe('newc headers', () => {
  it('are 110 bytes of magic and hex fields, then the NUL-terminated name padded to four bytes', () => {
    const header = newcHeader('init', { ino: 1, mode: 0o100755, size: 5 })
    expect(header.subarray(0, 6).toString()).toBe('070701')
    expect(header.subarray(14, 22).toString()).toBe((0o100755).toString(16).padStart(8, '0'))
    expect(header.subarray(54, 62).toString()).toBe('00000005')
    expect(header.subarray(94, 102).toString()).toBe('00000005') // "init\0"
    expect(header.subarray(110, 115).toString()).toBe('init\0')
    expect(header.length % 4).toBe(0)
  })
})

describeWithPrograms(['cpio'], 'newc archives read back by the real cpio', () => {
  const tempDir = useTempDirs()

  /** Writes the archive, unzips it and runs `cpio <args>` on it in `cwd`. */
  async function cpio(entries: ArchiveEntry[], args: string[], cwd: string): Promise<string> {
    const archive = join(await tempDir(), 'archive.cpio.gz')
    await writeNewcArchive(entries, archive)
    const { stdout } = await execa('cpio', args, { cwd, input: gunzipSync(await readFile(archive)), stripFinalNewline: true })
    return stdout
  }

  async function hostFile(dir: string, name: string, content: string): Promise<ArchiveEntry> {
    const path = join(dir, name)
    await writeFile(path, content)
    return { kind: 'file', path: `bin/${name}`, mode: 0o755, source: { path, size: Buffer.byteLength(content) } }
  }

  it('lists every entry, in order, with its type, mode, size and device numbers', async () => {
    const work = await tempDir()
    const listing = await cpio(
      [
        { kind: 'dir', path: 'dev', mode: 0o755 },
        { kind: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
        { kind: 'dir', path: 'bin', mode: 0o755 },
        { kind: 'file', path: 'bin/tool', mode: 0o755, source: text('#!/bin/sh\n') },
        { kind: 'symlink', path: 'bin/sh', target: 'tool' }
      ],
      ['-t', '-v', '--quiet'],
      work
    )
    const lines = listing.split('\n')
    expect(lines.map((line) => line.split(/\s+/).at(-1))).toEqual(['dev', 'dev/console', 'bin', 'bin/tool', 'tool'])
    expect(lines[1]).toMatch(/^crw------- .* 5,\s+1 /)
    expect(lines[3]).toMatch(/^-rwxr-xr-x .* 10 /)
    expect(lines[4]).toMatch(/^lrwxrwxrwx .* bin\/sh -> tool$/)
  })

  it('extracts files of every padding length, from bytes and from host files, with their modes and links', async () => {
    const work = await tempDir()
    const sources = await tempDir()
    // Lengths 0 to 5 cover each of the four paddings, for both the name and the data.
    const contents = ['', 'a', 'ab', 'abc', 'abcd', 'abcde']
    const entries: ArchiveEntry[] = [
      { kind: 'dir', path: 'bin', mode: 0o755 },
      { kind: 'dir', path: 'etc', mode: 0o700 },
      ...contents.map((c, i): ArchiveEntry => ({ kind: 'file', path: `etc/${'n'.repeat(i + 1)}`, mode: 0o644, source: text(c) })),
      ...(await Promise.all(contents.map((c, i) => hostFile(sources, `h${'x'.repeat(i)}`, c.repeat(1000))))),
      { kind: 'file', path: 'etc/ünïcødé', mode: 0o600, source: text('名前\n') },
      { kind: 'symlink', path: 'bin/sh', target: 'hxx' }
    ]
    await cpio(entries, ['-i', '-d', '--quiet', '--no-absolute-filenames'], work)
    for (const [i, c] of contents.entries()) {
      expect(await readFile(join(work, 'etc', 'n'.repeat(i + 1)), 'utf8')).toBe(c)
      expect(await readFile(join(work, 'bin', `h${'x'.repeat(i)}`), 'utf8')).toBe(c.repeat(1000))
    }
    expect(await readFile(join(work, 'etc', 'ünïcødé'), 'utf8')).toBe('名前\n')
    expect((await lstat(join(work, 'bin', 'hx'))).mode & 0o777).toBe(0o755)
    expect((await lstat(join(work, 'etc', 'n'))).mode & 0o777).toBe(0o644)
    expect((await lstat(join(work, 'etc'))).mode & 0o777).toBe(0o700)
    expect(await readlink(join(work, 'bin', 'sh'))).toBe('hxx')
  })

  describeAsRoot('device nodes', () => {
    it('come out as the character devices they were written as', async () => {
      const work = await tempDir()
      await cpio([{ kind: 'dir', path: 'dev', mode: 0o755 }, { kind: 'chardev', path: 'dev/null', mode: 0o666, major: 1, minor: 3 }], ['-i', '-d', '--quiet'], work)
      const info = await lstat(join(work, 'dev', 'null'))
      expect(info.isCharacterDevice()).toBe(true)
      expect(info.rdev).toBe((1 << 8) | 3)
    })
  })

  it.each(['/init', '../escape', 'a/../b', 'a//b', './a', ''])('refuses the unsafe path %j and leaves no archive', async (path) => {
    const work = await tempDir()
    const out = join(work, 'bad.cpio.gz')
    await expect(writeNewcArchive([{ kind: 'dir', path, mode: 0o755 }], out)).rejects.toThrow(/not a clean relative path/)
    expect(await readdir(work)).toEqual([])
  })

  it('fails when a host file is not the size the header promised', async () => {
    const work = await tempDir()
    const path = join(work, 'grew')
    await writeFile(path, 'longer than promised')
    await expect(writeNewcArchive([{ kind: 'file', path: 'grew', mode: 0o644, source: { path, size: 3 } }], join(work, 'out.cpio.gz'))).rejects.toThrow(
      /changed size/
    )
    expect(await readdir(work)).toEqual(['grew'])
  })
})
