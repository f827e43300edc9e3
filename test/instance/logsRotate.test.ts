import { appendFile, open, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readLog } from '../../src/main/runtime/instance/logs/readLog'
import { rotatedPath, rotateIfNeeded } from '../../src/main/runtime/instance/logs/rotateLog'
import { useTempDirs } from '../support/tempDirs'

describe('rotateIfNeeded', () => {
  const tempDir = useTempDirs('bpvm-logs-')

  it('leaves a log below the size, or a missing one, alone', async () => {
    const log = join(await tempDir(), 'launch.log')
    expect(await rotateIfNeeded(log, 10)).toBe(false)
    await writeFile(log, 'short\n')
    expect(await rotateIfNeeded(log, 10, { mode: 'rename' })).toBe(false)
    expect(await readFile(log, 'utf8')).toBe('short\n')
    await expect(stat(rotatedPath(log))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(rotateIfNeeded(log, 0)).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'maxBytes' } })
  })

  it('renames a log bpvm writes itself to .1, keeping one generation', async () => {
    const log = join(await tempDir(), 'launch.log')
    await writeFile(log, 'first generation\n', { mode: 0o600 })
    expect(await rotateIfNeeded(log, 10, { mode: 'rename' })).toBe(true)
    await expect(stat(log)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(rotatedPath(log), 'utf8')).toBe('first generation\n')
    expect((await stat(rotatedPath(log))).mode & 0o777).toBe(0o600)

    await appendFile(log, 'second generation\n')
    expect(await rotateIfNeeded(log, 10, { mode: 'rename' })).toBe(true)
    expect(await readFile(rotatedPath(log), 'utf8')).toBe('second generation\n')
  })

  it('copy-truncates a log a writer holds open with O_APPEND: the writer goes on in the live file, .1 holds the old bytes', async () => {
    const log = join(await tempDir(), 'vmm.stderr.log')
    const writer = await open(log, 'a', 0o600)
    try {
      await writer.write('before rotation\n')
      const seen = await readLog(log)
      expect(await rotateIfNeeded(log, 16)).toBe(true)
      await writer.write('after\n')

      expect(await readFile(rotatedPath(log), 'utf8')).toBe('before rotation\n')
      expect((await stat(rotatedPath(log))).mode & 0o777).toBe(0o600)
      // No hole: the appending writer starts again at the end of the emptied file.
      expect(await readFile(log, 'utf8')).toBe('after\n')
      const next = await readLog(log, { offset: seen.nextOffset, fileId: seen.fileId })
      expect(next).toMatchObject({ rotated: true, nextOffset: 6 })
      expect(next.data.toString()).toBe('after\n')
    } finally {
      await writer.close()
    }
  })

  it('cannot rotate a log whose writer does not append (why a cloud-hypervisor serial log waits for the next boot)', async () => {
    const log = join(await tempDir(), 'guest.log')
    const writer = await open(log, 'w', 0o600)
    try {
      await writer.write('0123456789\n')
      expect(await rotateIfNeeded(log, 8)).toBe(true)
      await writer.write('next\n')
      // The writer kept its own offset: the file now starts with a hole of the old length.
      expect(await readFile(log)).toEqual(Buffer.concat([Buffer.alloc(11), Buffer.from('next\n')]))
    } finally {
      await writer.close()
    }
  })
})
