import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { launchLog, launchLogLine } from '../../src/main/runtime/instance/logs/launchLog'
import { rotatedPath } from '../../src/main/runtime/instance/logs/rotateLog'
import { useTempDirs } from '../support/tempDirs'

const at = new Date('2025-03-01T12:00:00.000Z')

describe('launch log', () => {
  const tempDir = useTempDirs('bpvm-logs-')

  it('writes one line per step: ISO time, step, message', async () => {
    const log = join(await tempDir(), 'launch.log')
    const steps = launchLog(log, { now: () => at })
    await steps.append('lease', 'leasing a subnet')
    await steps.append('vmm', 'qemu said:\n  line one\r\n  line two\n')
    expect(await readFile(log, 'utf8')).toBe(
      '2025-03-01T12:00:00.000Z lease: leasing a subnet\n2025-03-01T12:00:00.000Z vmm: qemu said: line one line two\n'
    )
    expect((await stat(log)).mode & 0o777).toBe(0o600)
  })

  it('keeps the order of appends not awaited one by one, and goes on after a refused line', async () => {
    const log = join(await tempDir(), 'launch.log')
    const steps = launchLog(log, { now: () => at })
    const names = ['check', 'image', 'lease', 'disks', 'tap', 'bridge', 'vmm', 'rules', 'running']
    const writes = names.map((step) => steps.append(step, `${step} step`))
    const refused = steps.append('Bad Step', 'x')
    const after = steps.append('teardown', 'stopped')
    await Promise.all(writes)
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'step' } })
    await after
    const lines = (await readFile(log, 'utf8')).trimEnd().split('\n')
    expect(lines.map((line) => line.split(' ')[1])).toEqual([...names.map((n) => `${n}:`), 'teardown:'])
  })

  it('rotates by renaming once the log has reached its size', async () => {
    const log = join(await tempDir(), 'launch.log')
    const line = launchLogLine(at, 'vmm', 'x'.repeat(20))
    const steps = launchLog(log, { now: () => at, rotateBytes: line.length * 3 })
    for (let i = 0; i < 4; i++) await steps.append('vmm', 'x'.repeat(20))
    expect(await readFile(rotatedPath(log), 'utf8')).toBe(line.repeat(3))
    expect(await readFile(log, 'utf8')).toBe(line)
  })
})
