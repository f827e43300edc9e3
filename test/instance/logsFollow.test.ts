import { appendFileSync, copyFileSync, renameSync, truncateSync } from 'node:fs'
import { appendFile, mkdir, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { followLog } from '../../src/main/runtime/instance/logs/followLog'
import { launchLog } from '../../src/main/runtime/instance/logs/launchLog'
import { rotateIfNeeded } from '../../src/main/runtime/instance/logs/rotateLog'
import { useTempDirs } from '../support/tempDirs'
import { collector, pattern, until } from './logsSupport'

const nextTurn = () => sleep(1)

function rotateByCopy(log: string): void {
  copyFileSync(log, `${log}.1`)
  truncateSync(log, 0)
}

function rotateByRename(log: string): void {
  renameSync(log, `${log}.1`)
}

describe('followLog', () => {
  const tempDir = useTempDirs('bpvm-logs-')

  it('delivers every byte written, in order: what was there, then what is appended', async () => {
    const log = join(await tempDir(), 'guest.log')
    const content = pattern(300_000)
    await writeFile(log, content.subarray(0, 1000))
    const stop = new AbortController()
    const got = collector()
    const following = followLog(log, { signal: stop.signal, ...got })
    // Uneven pieces, some in bursts and some after a pause, up to past the 1 MiB read size in total.
    let at = 1000
    for (const [i, size] of [1, 2, 4093, 7, 65_536, 3, 100_000, 1, 129_357].entries()) {
      await appendFile(log, content.subarray(at, at + size))
      at += size
      if (i % 3 === 0) await sleep(30)
    }
    await appendFile(log, pattern(1_000_000, 1))
    const expected = Buffer.concat([content, pattern(1_000_000, 1)])
    await until(() => got.bytes.length >= expected.length, 'every byte')
    stop.abort()
    await following
    expect(got.bytes.equals(expected)).toBe(true)
    expect(got.rotations).toBe(0)
  })

  it('starts before the file, or even its directory, exists', async () => {
    const dir = join(await tempDir(), 'logs')
    const log = join(dir, 'launch.log')
    const stop = new AbortController()
    const got = collector()
    const following = followLog(log, { signal: stop.signal, ...got })
    try {
      await sleep(120)
      await mkdir(dir)
      await writeFile(log, 'first line\n')
      await until(() => got.bytes.toString() === 'first line\n', 'the first line')
      await appendFile(log, 'second line\n')
      await until(() => got.bytes.toString() === 'first line\nsecond line\n', 'the second line')
      expect(got.rotations).toBe(0)
    } finally {
      stop.abort()
      await following
    }
  })

  it('starts from an offset, going back to the start if the file is shorter now', async () => {
    const log = join(await tempDir(), 'launch.log')
    await writeFile(log, 'old: new part\n')
    const stop = new AbortController()
    const got = collector()
    const following = followLog(log, { signal: stop.signal, fromOffset: 5, ...got })
    try {
      await until(() => got.bytes.toString() === 'new part\n', 'the part after the offset')
      const again = collector()
      const second = followLog(log, { signal: stop.signal, fromOffset: 1000, ...again })
      await until(() => again.bytes.toString() === 'old: new part\n', 'the whole, shorter file')
      expect(again.rotations).toBe(1)
      stop.abort()
      await second
    } finally {
      stop.abort()
      await following
    }
  })

  it('goes on across a copy-truncate rotation: the bytes left in .1, then the new file from its start', async () => {
    const log = join(await tempDir(), 'vmm.stderr.log')
    const writer = await open(log, 'a', 0o600)
    const stop = new AbortController()
    const got = collector()
    const following = followLog(log, { signal: stop.signal, ...got })
    try {
      await writer.write('one\n')
      await until(() => got.bytes.toString() === 'one\n', 'the first line')
      // Written and rotated at once: the follower finds this line in .1, not in the live file.
      await writer.write('two, longer than what follows\n')
      await rotateIfNeeded(log, 8)
      await writer.write('three\n')
      await until(() => got.bytes.toString().endsWith('three\n'), 'the line after the rotation')
      expect(got.bytes.toString()).toBe('one\ntwo, longer than what follows\nthree\n')
      expect(got.rotations).toBe(1)
    } finally {
      stop.abort()
      await following
      await writer.close()
    }
  })

  it('takes the bytes it had not read yet from .1, whichever way the log was rotated', async () => {
    for (const rotate of [rotateByCopy, rotateByRename]) {
      const log = join(await tempDir(), 'guest.log')
      await writeFile(log, 'one\n')
      const stop = new AbortController()
      const got = collector()
      let rotated = false
      const following = followLog(log, {
        signal: stop.signal,
        onRotated: got.onRotated,
        onData: (data) => {
          got.onData(data)
          if (rotated) return
          rotated = true
          // Done synchronously, between two reads: the follower cannot have seen "two" in the live file.
          appendFileSync(log, 'two, longer than what follows\n')
          rotate(log)
          appendFileSync(log, 'three\n')
        }
      })
      try {
        await until(() => got.bytes.toString().endsWith('three\n'), `the line after ${rotate.name}`)
        expect(got.bytes.toString()).toBe('one\ntwo, longer than what follows\nthree\n')
        expect(got.rotations).toBe(1)
      } finally {
        stop.abort()
        await following
      }
    }
  })

  it('goes on across rename rotations of the launch log, line after line', async () => {
    const log = join(await tempDir(), 'launch.log')
    const steps = launchLog(log, { rotateBytes: 200, now: () => new Date(0) })
    const stop = new AbortController()
    const got = collector()
    const following = followLog(log, { signal: stop.signal, ...got })
    const messages = Array.from({ length: 40 }, (_, i) => `step number ${i}`)
    for (const [i, message] of messages.entries()) {
      await steps.append('vmm', message)
      if (i % 4 === 0) await sleep(15)
    }
    await until(() => got.bytes.toString().includes('step number 39\n'), 'the last line')
    stop.abort()
    await following
    expect(got.bytes.toString()).toBe(messages.map((m) => `1970-01-01T00:00:00.000Z vmm: ${m}\n`).join(''))
    expect(got.rotations).toBeGreaterThanOrEqual(5)
  })

  it('stops on abort: no callback after it, and no watcher or timer left behind', async () => {
    const log = join(await tempDir(), 'guest.log')
    // The test runner keeps timers of its own: only ours must be gone, so never more than before.
    const count = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length
    const timersBefore = count('Timeout')
    const stop = new AbortController()
    const got = collector()
    const following = followLog(log, { signal: stop.signal, ...got })
    await appendFile(log, 'seen\n')
    await until(() => got.calls === 1, 'the first bytes')
    expect(count('FSEventWrap')).toBe(1)
    stop.abort()
    await following
    // A closed watcher's handle is released in the close phase of the event loop's current turn.
    await nextTurn()
    expect(count('FSEventWrap')).toBe(0)
    expect(count('Timeout')).toBeLessThanOrEqual(timersBefore)
    await appendFile(log, 'not seen\n')
    await sleep(200)
    expect(got.bytes.toString()).toBe('seen\n')

    await followLog(log, { signal: AbortSignal.abort(), onData: () => expect.unreachable() })
    await nextTurn()
    expect(count('FSEventWrap')).toBe(0)
    expect(count('Timeout')).toBeLessThanOrEqual(timersBefore)
  })

  it('lets its process exit once aborted', async () => {
    const log = join(await tempDir(), 'guest.log')
    const child = fileURLToPath(new URL('./followLogChild.ts', import.meta.url))
    const run = await execa(process.execPath, ['--import', 'tsx', child, log], { reject: false, timeout: 30_000 })
    expect(run.timedOut).toBe(false)
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe('hello\nstopped')
  })
})
