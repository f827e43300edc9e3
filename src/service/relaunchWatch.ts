import { setTimeout as sleep } from 'node:timers/promises'
import { BpvmError, toErrorInfo } from '../shared/errors'
import { instancePaths, listInstanceRecords, readInstance, type InstanceRecord } from '../main/runtime/instance/instanceRecord'
import { readSavedLaunch, type SavedLaunch } from '../main/runtime/instance/savedLaunch'
import { checkBinaryComplete, fingerprintServiceFiles } from '../main/runtime/instance/serviceFiles'
import { withFileLock } from '../main/runtime/state/fileLock'
import type { StartedRelaunch } from './launchTasks'

/** What this process's watch of one instance is doing, for its summary. */
export interface LocalWatchState {
  state: string
  lastRelaunch?: { at: string; ok: boolean; message: string }
}

export interface RelaunchWatchOptions {
  /** Starts a relaunch exactly as `instances:relaunch` does. */
  relaunch(name: string): Promise<StartedRelaunch>
  /** A watch's state changed (the instance list shows it). */
  onChange(): void
  /** Watch this instance only (`bpvm launch --watch`); default: every instance whose watch is on. */
  only?: string
  /** How often the files are looked at; default 50 ms. */
  pollMs?: number
  /**
   * How long the files must stay unchanged after a change before a relaunch; default 200 ms.
   * Short, since it only gathers a burst of writes into one relaunch: an incomplete binary is
   * caught by its ELF check (as long as its headers say).
   */
  settleMs?: number
  /** How often instances whose watch is on (and not watched by anyone) are looked for; default 2 s. */
  scanMs?: number
}

export interface RelaunchWatch {
  /** Looks again at once for instances to watch (after a launch, or watching turned on). */
  refresh(): void
  stateOf(name: string): LocalWatchState | undefined
  close(): Promise<void>
}

interface Watching extends LocalWatchState {
  stop: AbortController
}

/** A change relaunches an instance that runs, or one a launch or relaunch left failed; not one the user stopped. */
const relaunchable = (record: InstanceRecord): boolean => record.phase !== 'stopped' || record.outcome?.status === 'Error'

/**
 * Relaunch on change, the service's one policy for it. Each instance whose watch is on is watched
 * by one process only, the one holding its `watch.lock` (the app, `bpvm serve` or a
 * `bpvm launch --watch`): the others leave it and look again later. A change is acted on once
 * the files have stayed the same for `settleMs`, and only when the binary is complete (an ELF
 * file as long as its headers say) and the launch input passes its checks: until then the VM
 * keeps running and the watch says what it waits for. A failed relaunch is reported and the watch
 * goes on, for the next change. It stops when the watch is turned off or the instance is gone.
 */
export function createRelaunchWatch(options: RelaunchWatchOptions): RelaunchWatch {
  const { pollMs = 50, settleMs = 200, scanMs = 2_000 } = options
  const watching = new Map<string, Watching>()
  const closing = new AbortController()
  const loops = new Set<Promise<void>>()

  const setState = (entry: Watching, state: string): void => {
    if (entry.state === state) return
    entry.state = state
    options.onChange()
  }

  async function watchFiles(name: string, entry: Watching): Promise<void> {
    const { signal } = entry.stop
    let saved: SavedLaunch | undefined
    let record: InstanceRecord | undefined
    let readAt = 0
    let pending: { files: string; since: number } | undefined
    let judged: string | undefined
    // A launch saved without a fingerprint: the files as first seen are the launched ones.
    let firstSeen: string | undefined
    /** Reads the saved launch and the record again; false once the watch is off or the instance gone. */
    const readAgain = async (): Promise<boolean> => {
      ;[saved, record] = await Promise.all([readSavedLaunch(name).catch(() => undefined), readInstance(name).catch(() => undefined)])
      readAt = Date.now()
      return Boolean(saved?.watch && record)
    }
    while (!signal.aborted) {
      if (Date.now() - readAt >= 1_000 && !(await readAgain())) return
      const { request } = saved!
      const files = await fingerprintServiceFiles(request.binary, request.keystore)
      const launched = saved!.files ?? (firstSeen ??= files)
      if (files === launched) {
        pending = undefined
        setState(entry, `watching ${request.binary}${request.keystore ? ` and ${request.keystore}` : ''}`)
      } else if (pending?.files !== files) {
        pending = { files, since: Date.now() }
        setState(entry, 'a change: waiting for the files to stay unchanged')
      } else if (Date.now() - pending.since >= settleMs && judged !== files) {
        // Judged on the saved launch and record as they are now: a launch that has just ended
        // saved the files it took, which are then no change at all.
        if (!(await readAgain())) return
        if (record!.phase === 'launching') {
          setState(entry, `a change: waiting for the launch of ${name} to end`)
        } else if (files === (saved!.files ?? firstSeen)) {
          pending = undefined
        } else {
          judged = files
          await relaunchIfReady(name, entry, saved!.request, record!)
          readAt = 0
        }
      }
      await sleep(pollMs, undefined, { signal }).catch(() => undefined)
    }
  }

  async function relaunchIfReady(name: string, entry: Watching, request: SavedLaunch['request'], record: InstanceRecord): Promise<void> {
    try {
      await checkBinaryComplete(request.binary)
    } catch (error) {
      setState(entry, `waiting for a complete binary: ${toErrorInfo(error).message}`)
      return
    }
    if (!relaunchable(record)) {
      setState(entry, `changed, not relaunched: ${name} was stopped (a change relaunches it while it runs, or after a failed launch)`)
      return
    }
    setState(entry, 'relaunching')
    const at = new Date().toISOString()
    try {
      const end = await (await options.relaunch(name)).ended
      entry.lastRelaunch = end.ok ? { at, ok: true, message: 'relaunched with the new files' } : { at, ok: false, message: end.error?.message ?? 'the relaunch failed' }
    } catch (error) {
      entry.lastRelaunch = { at, ok: false, message: toErrorInfo(error).message }
    }
    setState(entry, entry.lastRelaunch.ok ? 'relaunched; watching for the next change' : `the relaunch failed; watching for the next change: ${entry.lastRelaunch.message}`)
  }

  function start(name: string): void {
    const entry: Watching = { stop: new AbortController(), state: 'starting' }
    watching.set(name, entry)
    const loop = withFileLock(instancePaths(name).watchLock, () => watchFiles(name, entry), { timeoutMs: 0 })
      .catch((error: unknown) => {
        // Another process watches it: looked for again at the next scan.
        if (!(error instanceof BpvmError && error.code === 'LOCK_TIMEOUT')) console.error(`the watch of ${name} stopped`, error)
      })
      .finally(() => {
        watching.delete(name)
        loops.delete(loop)
        options.onChange()
      })
    loops.add(loop)
  }

  async function scan(): Promise<void> {
    const names = options.only ? [options.only] : (await listInstanceRecords().catch(() => ({ records: [] }))).records.map((r) => r.name)
    for (const name of names) {
      const entry = watching.get(name)
      const saved = await readSavedLaunch(name).catch(() => undefined)
      if (entry && !saved?.watch) entry.stop.abort()
      else if (!entry && saved?.watch && !closing.signal.aborted) start(name)
    }
  }

  let scanning = Promise.resolve()
  const rescan = (): void => {
    scanning = scanning.then(scan).catch(() => undefined)
  }
  const timer = setInterval(rescan, scanMs)
  timer.unref()
  rescan()

  return {
    refresh: rescan,
    stateOf: (name) => {
      const entry = watching.get(name)
      return entry ? { state: entry.state, ...(entry.lastRelaunch ? { lastRelaunch: entry.lastRelaunch } : {}) } : undefined
    },
    async close() {
      clearInterval(timer)
      closing.abort()
      await scanning
      for (const entry of watching.values()) entry.stop.abort()
      await Promise.all(loops)
    }
  }
}
