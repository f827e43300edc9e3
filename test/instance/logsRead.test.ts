import { spawnSync } from 'node:child_process'
import { appendFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { logPath, logPaths, logStreamSchema } from '../../src/main/runtime/instance/logs/logStreams'
import { readLog } from '../../src/main/runtime/instance/logs/readLog'
import { rotateIfNeeded } from '../../src/main/runtime/instance/logs/rotateLog'
import { useTempDirs } from '../support/tempDirs'
import { pattern } from './logsSupport'

describe('log streams', () => {
  it('maps each stream to its file in the log directory', () => {
    expect(logPaths('/s/logs')).toEqual({
      guest: '/s/logs/guest.log',
      stdout: '/s/logs/vmm.stdout.log',
      stderr: '/s/logs/vmm.stderr.log',
      launch: '/s/logs/launch.log'
    })
    expect(logPath('/s/logs', 'stderr')).toBe('/s/logs/vmm.stderr.log')
    expect(logStreamSchema.safeParse('launch').success).toBe(true)
    expect(logStreamSchema.safeParse('serial').success).toBe(false)
  })
})

describe('readLog', () => {
  const tempDir = useTempDirs('bpvm-logs-')

  it('reads a log that does not exist yet as empty', async () => {
    const log = join(await tempDir(), 'guest.log')
    expect(await readLog(log)).toEqual({ data: Buffer.alloc(0), nextOffset: 0, size: 0, rotated: false, fileId: undefined, tail: Buffer.alloc(0), skipped: 0 })
  })

  it('pages through a log by offset, never more than maxBytes at a time', async () => {
    const log = join(await tempDir(), 'guest.log')
    const content = pattern(10_000)
    await writeFile(log, content)
    const chunks: Buffer[] = []
    let offset = 0
    for (;;) {
      const chunk = await readLog(log, { offset, maxBytes: 4096 })
      expect(chunk.data.length).toBeLessThanOrEqual(4096)
      expect(chunk).toMatchObject({ size: 10_000, rotated: false })
      if (chunk.data.length === 0) break
      chunks.push(chunk.data)
      offset = chunk.nextOffset
    }
    expect(chunks.map((c) => c.length)).toEqual([4096, 4096, 1808])
    expect(Buffer.concat(chunks).equals(content)).toBe(true)
    expect(offset).toBe(10_000)

    // From the middle: what comes after the offset, and the offset after that.
    const middle = await readLog(log, { offset: 9000, maxBytes: 100 })
    expect(middle.data.equals(content.subarray(9000, 9100))).toBe(true)
    expect(middle.nextOffset).toBe(9100)
  })

  it('rejects an offset or a bound that is not a whole number of bytes', async () => {
    const log = join(await tempDir(), 'guest.log')
    await expect(readLog(log, { offset: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'offset' } })
    await expect(readLog(log, { maxBytes: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'maxBytes' } })
  })

  it('reports an offset past the end as a rotation and reads the new file from its start', async () => {
    const log = join(await tempDir(), 'guest.log')
    await writeFile(log, 'old boot, long line\n')
    const before = await readLog(log)
    await writeFile(log, 'new\n')
    const after = await readLog(log, { offset: before.nextOffset })
    expect(after).toMatchObject({ rotated: true, nextOffset: 4, size: 4 })
    expect(after.data.toString()).toBe('new\n')
  })

  it('after a copy-truncate rotation, gives what .1 holds past the offset before the new file, if asked', async () => {
    const log = join(await tempDir(), 'vmm.stderr.log')
    await writeFile(log, 'one line\n')
    const first = await readLog(log)
    expect(first.tail.toString()).toBe('one line\n')
    await appendFile(log, 'two\n')
    expect(await rotateIfNeeded(log, 8, { mode: 'copyTruncate' })).toBe(true)
    await appendFile(log, '3\n')

    const bare = await readLog(log, { offset: first.nextOffset, fileId: first.fileId })
    expect(bare).toMatchObject({ rotated: true, nextOffset: 2, size: 2, fileId: first.fileId })
    expect(bare.data.toString()).toBe('3\n')
    const joined = await readLog(log, { offset: first.nextOffset, fileId: first.fileId, tail: first.tail, withRotated: true })
    expect(joined).toMatchObject({ rotated: true, nextOffset: 2, skipped: 0 })
    expect(joined.data.toString()).toBe('two\n3\n')
    expect(joined.tail.toString()).toBe('3\n')
  })

  it('notices a truncation by the bytes before the offset, even once the file has grown past it again', async () => {
    const log = join(await tempDir(), 'guest.log')
    await writeFile(log, 'boot 1\n')
    const first = await readLog(log)
    await appendFile(log, 'boot 1 goes on\n')
    await rotateIfNeeded(log, 8)
    await appendFile(log, 'a longer line after the rotation\n')

    const unchecked = await readLog(log, { offset: first.nextOffset })
    expect(unchecked.rotated).toBe(false) // without the tail it cannot tell: it reads from the middle
    const checked = await readLog(log, { offset: first.nextOffset, tail: first.tail, withRotated: true })
    expect(checked.rotated).toBe(true)
    expect(checked.data.toString()).toBe('boot 1 goes on\na longer line after the rotation\n')
  })

  it('does not take an older .1 for the rest of a log its writer truncated itself', async () => {
    const log = join(await tempDir(), 'guest.log')
    await writeFile(`${log}.1`, 'an older generation, longer than the offset\n')
    await writeFile(log, 'boot 1\n')
    const first = await readLog(log)
    // The VMM of the next boot opens the log with O_TRUNC.
    await writeFile(log, 'boot 2\n')
    const next = await readLog(log, { offset: first.nextOffset, fileId: first.fileId, tail: first.tail, withRotated: true })
    expect(next).toMatchObject({ rotated: true, skipped: 0 })
    expect(next.data.toString()).toBe('boot 2\n')
  })

  it('notices a rename rotation by the file identity, even once the new file is longer than the offset', async () => {
    const log = join(await tempDir(), 'launch.log')
    await writeFile(log, 'a\n')
    const first = await readLog(log)
    await appendFile(log, 'b\n')
    await rotateIfNeeded(log, 4, { mode: 'rename' })
    await writeFile(log, 'a much longer first line of the new file\n')

    const bare = await readLog(log, { offset: first.nextOffset, fileId: first.fileId })
    expect(bare.rotated).toBe(true)
    expect(bare.data.toString()).toBe('a much longer first line of the new file\n')
    const joined = await readLog(log, { offset: first.nextOffset, fileId: first.fileId, withRotated: true })
    expect(joined.data.toString()).toBe('b\na much longer first line of the new file\n')
    expect(joined.fileId).not.toBe(first.fileId)
  })

  it('bounds what it takes from .1 as well, and says how much it left out', async () => {
    const log = join(await tempDir(), 'launch.log')
    await writeFile(log, 'x')
    const first = await readLog(log)
    await appendFile(log, pattern(100))
    await rename(log, `${log}.1`)
    const chunk = await readLog(log, { offset: first.nextOffset, fileId: first.fileId, maxBytes: 30, withRotated: true })
    expect(chunk).toMatchObject({ rotated: true, nextOffset: 0, size: 0, fileId: undefined, skipped: 70 })
    expect(chunk.data.equals(pattern(100).subarray(0, 30))).toBe(true)
  })

  it('reads what a process wrote after that process is gone', async () => {
    const log = join(await tempDir(), 'vmm.stdout.log')
    const shell = spawnSync('sh', ['-c', 'printf "started\\n" >> "$1"; printf "exiting\\n" >> "$1"', 'sh', log])
    expect(shell.status).toBe(0)
    expect((await readLog(log)).data.toString()).toBe('started\nexiting\n')
  })
})
