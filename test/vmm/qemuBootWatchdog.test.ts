import { appendFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { BpvmError } from '../../src/shared/errors'
import { firstSerialByteAt, waitForSerial, watchBoot } from '../../src/main/runtime/vmm/qemu/bootWatchdog'
import { useTempDirs } from '../support/tempDirs'

describe('serial log watchdog', () => {
  const tempDir = useTempDirs('bpvm-serial-')

  it('follows the file as it grows, across split lines, CRLF and split UTF-8', async () => {
    const log = join(await tempDir(), 'guest.log')
    const found = waitForSerial(log, /^login: ready/, 5000)
    // The file does not exist yet: the guest has not started.
    await sleep(60)
    await writeFile(log, '[    0.000000] Linux version\r\n')
    await sleep(60)
    const snowman = Buffer.from('☃ boot\r\n')
    await appendFile(log, snowman.subarray(0, 1))
    await sleep(60)
    await appendFile(log, Buffer.concat([snowman.subarray(1), Buffer.from('login: re')]))
    await sleep(60)
    await appendFile(log, 'ady\r\nlater\r\n')
    expect(await found).toBe('login: ready')
    expect(await waitForSerial(log, (line) => line.startsWith('☃'), 1000)).toBe('☃ boot')
  })

  it('fails with SERIAL_TIMEOUT naming the last line it saw', async () => {
    const log = join(await tempDir(), 'guest.log')
    await writeFile(log, 'one\ntwo\n')
    const error = await waitForSerial(log, /three/, 200).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BpvmError)
    expect(error).toMatchObject({ code: 'SERIAL_TIMEOUT', details: { lastLine: 'two' } })
    expect((error as Error).message).toBe('no line matching /three/ on the serial console within 0.2 s (last line: two)')
  })

  it('stops early, with the reason given, when aborted', async () => {
    const log = join(await tempDir(), 'guest.log')
    const stop = new AbortController()
    setTimeout(() => stop.abort(new BpvmError('VMM_EXITED', 'gone')), 50)
    await expect(waitForSerial(log, /never/, 10_000, { signal: stop.signal })).rejects.toMatchObject({ code: 'VMM_EXITED' })
  })

  it('times the first byte and reports a guest that stays silent, naming the accelerator', async () => {
    const dir = await tempDir()
    const log = join(dir, 'guest.log')
    await writeFile(log, '')
    const launchedAt = Date.now()
    setTimeout(() => void writeFile(log, 'x'), 150)
    const first = await watchBoot(log, { accel: 'tcg', launchedAt, silentAfterMs: 5000 })
    expect(first.afterMs).toBeGreaterThanOrEqual(140)
    expect(first.afterMs).toBeLessThan(2000)
    expect(first.at - launchedAt).toBe(first.afterMs)

    const silent = join(dir, 'silent.log')
    await writeFile(silent, '')
    const started = Date.now()
    await expect(watchBoot(silent, { accel: 'kvm', launchedAt: started, silentAfterMs: 300 })).rejects.toMatchObject({
      code: 'GUEST_SILENT',
      message: 'the guest printed nothing within 0.3 s (accelerator: kvm)',
      details: { accel: 'kvm', seconds: 0.3, serialLog: silent }
    })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(await firstSerialByteAt(silent, 50)).toBeUndefined()
  })
})
