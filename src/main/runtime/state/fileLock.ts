import { open, readFile, stat, unlink } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { BpvmError } from '../../../shared/errors'
import { diskFull } from './diskFull'
import { currentProcess, isProcessAlive, type ProcessIdentity } from './processIdentity'

/**
 * A lock between processes (the app, the CLI): a file created with O_EXCL that holds its owner's
 * pid and start time. A lock whose owner is gone is taken over; waiting for a live one is bounded.
 */

export interface FileLockOptions {
  timeoutMs?: number
}

export const DEFAULT_LOCK_TIMEOUT_MS = 20_000
/** A lock file still empty after this long was left by a process that died right after creating it. */
const UNWRITTEN_GRACE_MS = 5_000
const MAX_POLL_MS = 50

interface Holder {
  owner?: ProcessIdentity
  mtimeMs: number
}

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code

async function tryCreate(file: string, me: ProcessIdentity): Promise<boolean> {
  let handle
  try {
    handle = await open(file, 'wx', 0o600)
  } catch (error) {
    if (errno(error) === 'EEXIST') return false
    throw diskFull(error, file) ?? error
  }
  try {
    await handle.writeFile(`${JSON.stringify(me)}\n`)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(file).catch(() => undefined)
    throw diskFull(error, file) ?? error
  }
  await handle.close()
  return true
}

function parseOwner(text: string): ProcessIdentity | undefined {
  try {
    const value = JSON.parse(text) as Partial<ProcessIdentity>
    if (!Number.isInteger(value.pid)) return undefined
    return typeof value.startTime === 'string' ? { pid: value.pid!, startTime: value.startTime } : { pid: value.pid! }
  } catch {
    return undefined
  }
}

/** The lock's holder, or undefined when there is no lock file (any more). */
async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)])
    const owner = parseOwner(text)
    return owner ? { owner, mtimeMs: info.mtimeMs } : { mtimeMs: info.mtimeMs }
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined
    throw error
  }
}

async function isStale(holder: Holder): Promise<boolean> {
  if (holder.owner) return !(await isProcessAlive(holder.owner))
  return Date.now() - holder.mtimeMs > UNWRITTEN_GRACE_MS
}

async function unlinkIfPresent(file: string): Promise<void> {
  await unlink(file).catch((error: unknown) => {
    if (errno(error) !== 'ENOENT') throw error
  })
}

const sameOwner = (a?: ProcessIdentity, b?: ProcessIdentity): boolean => a?.pid === b?.pid && a?.startTime === b?.startTime

/**
 * Removes a stale lock. Two waiters could otherwise both judge it stale and the slower one delete
 * the lock the faster one has just taken, so breaking happens under a second, short-lived lock
 * file and the staleness is checked again there.
 */
async function breakStale(file: string, me: ProcessIdentity): Promise<boolean> {
  const guard = `${file}.break`
  if (!(await tryCreate(guard, me))) {
    // A breaker that died inside this short section leaves a stale guard: clear it and retry.
    const holder = await readHolder(guard)
    if (holder && (await isStale(holder))) await unlinkIfPresent(guard)
    return false
  }
  try {
    const holder = await readHolder(file)
    if (holder && (await isStale(holder))) await unlinkIfPresent(file)
    return true
  } finally {
    await unlinkIfPresent(guard)
  }
}

function lockTimeout(file: string, holder: Holder, stale: boolean, timeoutMs: number): BpvmError {
  const state = stale ? 'which has exited' : 'which is still running'
  const who = holder.owner ? `pid ${holder.owner.pid}, ${state}` : 'a process that has not yet written its pid'
  return new BpvmError(
    'LOCK_TIMEOUT',
    `gave up after ${(timeoutMs / 1000).toFixed(1)} s waiting for the lock ${file}, held by ${who}; if that process is stuck, stop it`,
    { lockFile: file, ...(holder.owner ? { holderPid: holder.owner.pid } : {}) }
  )
}

async function acquire(file: string, me: ProcessIdentity, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let delay = 2
  for (;;) {
    if (await tryCreate(file, me)) return
    const holder = await readHolder(file)
    if (holder === undefined) continue
    const stale = await isStale(holder)
    if (stale && (await breakStale(file, me))) continue
    if (Date.now() >= deadline) throw lockTimeout(file, holder, stale, timeoutMs)
    // Jitter keeps waiting processes from retrying in lockstep.
    await sleep(delay * (0.5 + Math.random()))
    delay = Math.min(delay * 2, MAX_POLL_MS)
  }
}

async function release(file: string, me: ProcessIdentity): Promise<void> {
  const holder = await readHolder(file)
  // Never delete a lock that is no longer ours.
  if (holder && sameOwner(holder.owner, me)) await unlinkIfPresent(file)
}

/** Runs `body` holding the lock `file`; its directory must exist. */
export async function withFileLock<T>(file: string, body: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const me = await currentProcess()
  await acquire(file, me, options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS)
  try {
    return await body()
  } finally {
    await release(file, me)
  }
}

/** Whether a live process holds the lock `file` right now (a stale lock does not count). */
export async function isLockHeld(file: string): Promise<boolean> {
  const holder = await readHolder(file)
  return holder !== undefined && !(await isStale(holder))
}

/** The pid of the live process holding the lock `file`, if any. */
export async function lockHolderPid(file: string): Promise<number | undefined> {
  const holder = await readHolder(file)
  if (!holder || (await isStale(holder))) return undefined
  return holder.owner?.pid
}
