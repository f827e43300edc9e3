import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { BpvmError } from '../../src/shared/errors'
import { withFileLock } from '../../src/main/runtime/state/fileLock'
import { LeaseStore } from '../../src/main/runtime/net/leaseStore'
import { isProcessAlive, processStartTime } from '../../src/main/runtime/state/processIdentity'
import { useTempDirs } from '../support/tempDirs'

const tempDir = useTempDirs('bpvm-lock-')
const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  }
})

/** A process that runs until killed, and its start time. */
async function liveProcess(): Promise<{ child: ChildProcess; pid: number; startTime: string }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  children.push(child)
  await once(child, 'spawn')
  const startTime = await processStartTime(child.pid!)
  if (startTime === undefined) throw new Error('no /proc entry for the child')
  return { child, pid: child.pid!, startTime }
}

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid!
}

async function leaseStore(stateDir: string, lockTimeoutMs = 5_000): Promise<LeaseStore> {
  return new LeaseStore({ stateDir, occupied: async () => [], lockTimeoutMs })
}

describe('process identity', () => {
  it('tells a live process from a dead one and from a reused pid', async () => {
    const live = await liveProcess()
    expect(await isProcessAlive({ pid: live.pid, startTime: live.startTime })).toBe(true)
    expect(await isProcessAlive({ pid: live.pid, startTime: String(Number(live.startTime) + 1) })).toBe(false)
    expect(await isProcessAlive({ pid: await deadPid() })).toBe(false)
  })
})

describe('the lease lock', () => {
  it('takes over a lock left by a process that has exited', async () => {
    const stateDir = await tempDir()
    await writeFile(join(stateDir, 'leases.lock'), JSON.stringify({ pid: await deadPid(), startTime: '1' }))
    const store = await leaseStore(stateDir)
    expect((await store.allocate('web')).id).toBe(1)
    expect(await readdir(stateDir)).toEqual(['leases.json'])
  })

  it('takes over a lock whose pid now belongs to another process', async () => {
    const stateDir = await tempDir()
    const live = await liveProcess()
    await writeFile(join(stateDir, 'leases.lock'), JSON.stringify({ pid: live.pid, startTime: String(Number(live.startTime) - 1) }))
    expect((await (await leaseStore(stateDir)).allocate('web')).id).toBe(1)
  })

  it('takes over an empty lock file once it is old, and a guard left by a dead breaker', async () => {
    const stateDir = await tempDir()
    const lock = join(stateDir, 'leases.lock')
    await writeFile(lock, '')
    await writeFile(`${lock}.break`, JSON.stringify({ pid: await deadPid() }))
    const old = new Date(Date.now() - 60_000)
    await utimes(lock, old, old)
    expect((await (await leaseStore(stateDir)).allocate('web')).id).toBe(1)
    expect(await readdir(stateDir)).toEqual(['leases.json'])
  })

  it('waits a bounded time for a live holder, names the lock file and the pid, and goes on once the holder dies', async () => {
    const stateDir = await tempDir()
    const lock = join(stateDir, 'leases.lock')
    const live = await liveProcess()
    await writeFile(lock, JSON.stringify({ pid: live.pid, startTime: live.startTime }))
    const store = await leaseStore(stateDir, 300)
    const started = Date.now()
    const error = await store.allocate('web').then(
      () => undefined,
      (e: unknown) => e
    )
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(error).toBeInstanceOf(BpvmError)
    expect((error as BpvmError).code).toBe('LOCK_TIMEOUT')
    expect((error as BpvmError).message).toBe(
      `gave up after 0.3 s waiting for the lock ${lock}, held by pid ${live.pid}, which is still running; if that process is stuck, stop it`
    )
    expect((error as BpvmError).details).toEqual({ lockFile: lock, holderPid: live.pid })

    // The waiter that outlives the holder gets the lock.
    const waiting = (await leaseStore(stateDir)).allocate('web')
    await sleep(100)
    live.child.kill('SIGKILL')
    expect((await waiting).id).toBe(1)
  })

  it('lets one body run at a time', async () => {
    const lock = join(await tempDir(), 'test.lock')
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withFileLock(lock, async () => {
          most = Math.max(most, ++inside)
          await sleep(5)
          inside--
        })
      )
    )
    expect(most).toBe(1)
  })
})
