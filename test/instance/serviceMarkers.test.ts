import { appendFile, rename, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { serviceMarkers } from '../../src/main/runtime/instance/serviceMarkers'
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
