import { copyFile, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { instancePaths } from '../../src/main/runtime/instance/instanceRecord'
import { readSavedLaunch, recordLaunchedFiles, saveLaunch, setWatch } from '../../src/main/runtime/instance/savedLaunch'
import { checkBinaryComplete, fingerprintServiceFiles } from '../../src/main/runtime/instance/serviceFiles'
import type { StartedRelaunch } from '../../src/service/launchTasks'
import { createRelaunchWatch, type RelaunchWatch } from '../../src/service/relaunchWatch'
import type { TaskInfo } from '../../src/shared/api/tasks'
import { recordFixture } from '../support/recordFixture'
import { useTempDirs } from '../support/tempDirs'
import { useServiceHome } from './serviceHome'

/**
 * The relaunch-on-change policy against real files: a binary written in pieces, deleted, left
 * broken by a failing build; relaunches that fail. The relaunch itself is the service's (tested
 * with a VM elsewhere); here it is a stand-in that records what it was asked, and saves the
 * launched files' fingerprint as the real one does.
 */
describe('relaunch on change', () => {
  useServiceHome('relaunch-watch')
  const tempDir = useTempDirs()
  const watches: RelaunchWatch[] = []
  afterEach(async () => {
    for (const watch of watches.splice(0)) await watch.close()
  })

  async function instance(name: string, fields: Record<string, unknown> = {}) {
    const work = await tempDir()
    const binary = join(work, 'svc')
    const keystore = join(work, 'keystore')
    await copyFile('/bin/true', binary)
    await mkdir(keystore)
    await writeFile(join(keystore, 'key'), 'k1')
    const paths = instancePaths(name)
    await mkdir(paths.logs, { recursive: true })
    await writeFile(paths.record, JSON.stringify(recordFixture(name, 7, fields)))
    const request = { name, binary, keystore, env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 2, protocol: 'tangle' }, args: {} }
    await saveLaunch(name, { request, watch: true, files: await fingerprintServiceFiles(binary, keystore) })
    return { binary, keystore }
  }

  /** A relaunch that saves the files it launched (as the service's does) and ends as `outcome` says. */
  function fakeRelaunch(outcome: () => { ok: boolean; message?: string } = () => ({ ok: true })) {
    const launched: Buffer[] = []
    const relaunch = vi.fn(async (name: string): Promise<StartedRelaunch> => {
      const saved = (await readSavedLaunch(name))!
      launched.push(await readFile(saved.request.binary))
      const end = outcome()
      if (end.ok) await recordLaunchedFiles(name, await fingerprintServiceFiles(saved.request.binary, saved.request.keystore))
      return { task: { id: 't', kind: 'relaunch', title: `Relaunch ${name}`, target: name, state: 'running', startedAt: '' } as TaskInfo, ended: Promise.resolve(end.ok ? { ok: true } : { ok: false, error: { code: 'VMM_EXITED', message: end.message ?? 'failed' } }) }
    })
    return { relaunch, launched }
  }

  function watch(relaunch: (name: string) => Promise<StartedRelaunch>, only?: string): RelaunchWatch {
    const w = createRelaunchWatch({ relaunch, onChange: () => undefined, pollMs: 20, settleMs: 250, scanMs: 100, ...(only ? { only } : {}) })
    watches.push(w)
    return w
  }

  const stateOf = (w: RelaunchWatch, name: string) => w.stateOf(name)?.state ?? ''

  it('relaunches once a binary written in pieces is whole, with the whole file, and never for a half-written one', async () => {
    const { binary } = await instance('pieces')
    const { relaunch, launched } = fakeRelaunch()
    const w = watch(relaunch)
    await vi.waitFor(() => expect(stateOf(w, 'pieces')).toMatch(/^watching /), { timeout: 10_000 })
    const whole = await readFile('/bin/true')
    // As a linker writes in place: the first half, a pause longer than the settle time, then the rest.
    const file = await open(binary, 'w')
    await file.write(whole.subarray(0, whole.length / 2), 0, undefined, 0)
    await vi.waitFor(() => expect(stateOf(w, 'pieces')).toMatch(/^waiting for a complete binary: binary: .* is an incomplete ELF file/), { timeout: 10_000 })
    expect(relaunch).not.toHaveBeenCalled()
    await file.write(whole.subarray(whole.length / 2), 0, undefined, whole.length / 2)
    await file.close()
    await vi.waitFor(() => expect(relaunch).toHaveBeenCalledTimes(1), { timeout: 10_000 })
    expect(launched[0]!.equals(whole)).toBe(true)
    await vi.waitFor(() => expect(w.stateOf('pieces')?.lastRelaunch).toMatchObject({ ok: true }), { timeout: 10_000 })
    await sleep(600)
    expect(relaunch).toHaveBeenCalledTimes(1)
  })

  it('waits while the binary is deleted or a build keeps failing, and relaunches when a good one lands', async () => {
    const { binary } = await instance('gone')
    const { relaunch } = fakeRelaunch()
    const w = watch(relaunch)
    await vi.waitFor(() => expect(stateOf(w, 'gone')).toMatch(/^watching /), { timeout: 10_000 })
    await rm(binary)
    await vi.waitFor(() => expect(stateOf(w, 'gone')).toMatch(/^waiting for a complete binary: .*cannot be read/), { timeout: 10_000 })
    const whole = await readFile('/bin/true')
    for (const length of [100, 400, 1000]) {
      await writeFile(binary, whole.subarray(0, length))
      await sleep(400)
      expect(stateOf(w, 'gone')).toMatch(/incomplete ELF file/)
    }
    expect(relaunch).not.toHaveBeenCalled()
    await writeFile(binary, whole)
    await vi.waitFor(() => expect(relaunch).toHaveBeenCalledTimes(1), { timeout: 10_000 })
  })

  it('says why a relaunch failed, keeps watching, and relaunches at the next change; a keystore change counts too', async () => {
    const { binary, keystore } = await instance('flaky')
    let fail = true
    const { relaunch } = fakeRelaunch(() => (fail ? { ok: false, message: 'the VMM exited at once' } : { ok: true }))
    const w = watch(relaunch)
    await vi.waitFor(() => expect(stateOf(w, 'flaky')).toMatch(/^watching /), { timeout: 10_000 })
    await copyFile('/bin/false', binary)
    await vi.waitFor(() => expect(stateOf(w, 'flaky')).toBe('the relaunch failed; watching for the next change: the VMM exited at once'), { timeout: 10_000 })
    expect(w.stateOf('flaky')?.lastRelaunch).toMatchObject({ ok: false, message: 'the VMM exited at once' })
    await sleep(600)
    expect(relaunch).toHaveBeenCalledTimes(1)
    fail = false
    await writeFile(join(keystore, 'key'), 'k2')
    await vi.waitFor(() => expect(relaunch).toHaveBeenCalledTimes(2), { timeout: 10_000 })
    await vi.waitFor(() => expect(w.stateOf('flaky')?.lastRelaunch).toMatchObject({ ok: true }), { timeout: 10_000 })
  })

  it('leaves an instance the user stopped, stops when the watch is turned off or the instance is gone, and one process watches at a time', async () => {
    const stopped = await instance('stopped', { phase: 'stopped', outcome: { status: 'Finished', reason: 'stopped by the user', at: '2026-01-01T00:00:00.000Z' } })
    const off = await instance('off')
    await instance('purged')
    const { relaunch } = fakeRelaunch()
    const first = watch(relaunch)
    await vi.waitFor(() => expect(['stopped', 'off', 'purged'].map((n) => stateOf(first, n))).toEqual([expect.stringMatching(/^watching/), expect.stringMatching(/^watching/), expect.stringMatching(/^watching/)]), { timeout: 10_000 })
    // A second watch, once the first holds every lock, finds each held: it watches nothing.
    const second = watch(relaunch)
    await sleep(300)
    expect(['stopped', 'off', 'purged'].map((n) => second.stateOf(n))).toEqual([undefined, undefined, undefined])

    await writeFile(stopped.binary, await readFile('/bin/false'))
    await vi.waitFor(() => expect(stateOf(first, 'stopped')).toMatch(/^changed, not relaunched: stopped was stopped/), { timeout: 10_000 })

    await setWatch('off', false)
    first.refresh()
    await vi.waitFor(() => expect(first.stateOf('off')).toBeUndefined(), { timeout: 10_000 })
    await writeFile(off.binary, await readFile('/bin/false'))

    await rm(instancePaths('purged').state, { recursive: true })
    await vi.waitFor(() => expect(first.stateOf('purged')).toBeUndefined(), { timeout: 10_000 })
    await sleep(600)
    expect(relaunch).not.toHaveBeenCalled()
    await expect(checkBinaryComplete(off.binary)).resolves.toBeUndefined()
  })

  it('is taken up again by the next process after the one watching stops (an app restart)', async () => {
    const { binary } = await instance('restarted')
    const { relaunch } = fakeRelaunch()
    const before = watch(relaunch)
    await vi.waitFor(() => expect(stateOf(before, 'restarted')).toMatch(/^watching /), { timeout: 10_000 })
    await before.close()
    // Changed while nobody watched: the next watch relaunches it, as the files differ from the launched ones.
    await copyFile('/bin/false', binary)
    const after = watch(relaunch)
    await vi.waitFor(() => expect(relaunch).toHaveBeenCalledTimes(1), { timeout: 10_000 })
    await vi.waitFor(() => expect(stateOf(after, 'restarted')).toMatch(/^watching /), { timeout: 10_000 })
  })

  it('keeps a watch turned off while a relaunch ran: the relaunch records only the files it launched', async () => {
    const { binary, keystore } = await instance('toggled')
    await writeFile(binary, await readFile('/bin/false'))
    // The watch is turned off after the relaunch read the saved launch and before it recorded its files.
    await setWatch('toggled', false)
    const launched = await fingerprintServiceFiles(binary, keystore)
    await recordLaunchedFiles('toggled', launched)
    const saved = (await readSavedLaunch('toggled'))!
    expect(saved.watch).toBe(false)
    expect(saved.files).toBe(launched)
    await expect(recordLaunchedFiles('never-launched', launched)).rejects.toMatchObject({ code: 'NO_SAVED_LAUNCH' })
  })

  it('waits while the instance is being launched, and takes the files that launch saved as no change', async () => {
    // Saved by an earlier launch; this process's own launch has begun with newer files.
    const { binary, keystore } = await instance('launching', { phase: 'launching' })
    await writeFile(binary, await readFile('/bin/false'))
    const { relaunch } = fakeRelaunch()
    const w = watch(relaunch)
    await vi.waitFor(() => expect(w.stateOf('launching')?.state).toBe('a change: waiting for the launch of launching to end'), { timeout: 10_000 })
    await sleep(600)
    expect(relaunch).not.toHaveBeenCalled()
    // The launch ends: its record runs and it saved the files it took.
    const saved = (await readSavedLaunch('launching'))!
    await saveLaunch('launching', { ...saved, files: await fingerprintServiceFiles(binary, keystore) })
    await writeFile(instancePaths('launching').record, JSON.stringify(recordFixture('launching', 7)))
    await vi.waitFor(() => expect(w.stateOf('launching')?.state).toMatch(/^watching/), { timeout: 10_000 })
    await sleep(600)
    expect(relaunch).not.toHaveBeenCalled()
    // A change after it relaunches as ever.
    await writeFile(binary, await readFile('/bin/true'))
    await vi.waitFor(() => expect(relaunch).toHaveBeenCalledTimes(1), { timeout: 10_000 })
  })
})
