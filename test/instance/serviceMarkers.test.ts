import { appendFile, rename, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeProblems } from '../../src/main/runtime/instance/instanceStatus'
import { guestLogFacts, serviceMarkers } from '../../src/main/runtime/instance/serviceMarkers'
import { parseCloudInitLine } from '../../src/main/runtime/vmm/cloudInitLines'
import { useTempDirs } from '../support/tempDirs'

describe("the service's markers in a serial log, read as it grows", () => {
  const tempDir = useTempDirs()

  it('finds markers appended since the last call, a marker still without its newline, and starts over on a new or shrunk file', async () => {
    const log = join(await tempDir(), 'guest.log')
    expect(await serviceMarkers(log)).toEqual([])
    await writeFile(log, 'boot noise\nBPVM_EVENT service-started pid=7\nBPVM_EVENT service-exi')
    expect(await serviceMarkers(log)).toEqual([{ event: 'service-started', pid: 7 }])
    await appendFile(log, 'ted status=0\n')
    expect(await serviceMarkers(log)).toEqual([{ event: 'service-started', pid: 7 }, { event: 'service-exited', status: 0 }])
    // Rotated at the next launch: the new boot's log says nothing yet.
    await rename(log, `${log}.1`)
    await writeFile(log, 'BPVM_EVENT service-started pid=9')
    expect(await serviceMarkers(log)).toEqual([{ event: 'service-started', pid: 9 }])
    await truncate(log, 0)
    expect(await serviceMarkers(log)).toEqual([])
  })
})

// As Debian 12's cloud-init 22.4 prints them on the serial console (colours as systemd sends them).
const CLOUD_INIT = {
  moduleFailed: "[   62.026829] cloud-init[420]: 2026-12-06 06:22:48,057 - util.py[WARNING]: Running module locale (<module 'cloudinit.config.cc_locale' from '/usr/lib/python3/dist-packages/cloudinit/config/cc_locale.py'>) failed",
  stageFailed: '[   27.973408] cloud-init[297]: failed run of stage init-local',
  warning: '[   50.074786] cloud-init[318]: 2026-12-06 06:22:36,103 - util.py[WARNING]: Failed partitioning operation',
  finished: '[   76.450285] cloud-init[450]: Cloud-init v. 22.4.2 finished at Sun, 06 Dec 2026 06:23:02 +0000. Datasource DataSourceNoCloud [seed=/dev/vdb][dsmode=net].  Up 76.30 seconds',
  systemd: '\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mcloud-init…l cloud-init job (pre-networking).'
}

describe("cloud-init's own lines in a serial log", () => {
  const tempDir = useTempDirs()

  it('tells a failed module or stage, a warning and the end apart; a service that prints the same words is not cloud-init', () => {
    expect(parseCloudInitLine(CLOUD_INIT.moduleFailed)).toEqual({ kind: 'failed', text: 'module locale failed' })
    expect(parseCloudInitLine(CLOUD_INIT.stageFailed)).toEqual({ kind: 'failed', text: 'stage init-local failed' })
    expect(parseCloudInitLine(CLOUD_INIT.warning)).toEqual({ kind: 'warning', text: 'Failed partitioning operation' })
    expect(parseCloudInitLine(CLOUD_INIT.finished)).toEqual({ kind: 'finished' })
    expect(parseCloudInitLine(CLOUD_INIT.systemd)).toBeUndefined()
    expect(parseCloudInitLine('[   80.1] sh[472]: svc: Running module x (y) failed, says cloud-init[1]')).toBeUndefined()
  })

  it('points at each problem by its line in the log, and says the failures first', async () => {
    const log = join(await tempDir(), 'guest.log')
    await writeFile(log, ['boot', CLOUD_INIT.warning, 'more boot', CLOUD_INIT.moduleFailed, ''].join('\n'))
    const facts = await guestLogFacts(log)
    expect(facts.cloudInit).toEqual({
      finished: false,
      problems: [
        { line: 2, kind: 'warning', text: 'Failed partitioning operation' },
        { line: 4, kind: 'failed', text: 'module locale failed' }
      ]
    })
    await appendFile(log, `${CLOUD_INIT.finished}\n`)
    expect((await guestLogFacts(log)).cloudInit.finished).toBe(true)
    expect(describeProblems(facts.cloudInit.problems)).toBe('cloud-init: module locale failed (guest log line 4)')
    expect(describeProblems([facts.cloudInit.problems[0]!])).toBe('cloud-init warned: Failed partitioning operation (guest log line 2)')
    expect(describeProblems([])).toBeUndefined()
  })
})
