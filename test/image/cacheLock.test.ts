import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { withCacheLock } from '../../src/main/runtime/image/cacheLock'
import { withFileLock } from '../../src/main/runtime/state/fileLock'
import { useTempDirs } from '../support/tempDirs'

describe('withCacheLock', () => {
  const tempDir = useTempDirs('bpvm-cache-lock-')

  it('waits past the file lock’s own short rounds for a long-held lock, saying once that it waits', async () => {
    const lock = join(await tempDir(), '.release.lock')
    const order: string[] = []
    let waits = 0
    let release!: () => void
    const holder = withFileLock(lock, () => new Promise<void>((resolve) => (release = resolve)))
    await sleep(50)
    const waiter = withCacheLock(lock, async () => order.push('waiter'), { onWait: () => (waits += 1) })
    // Longer than one round (1 s): a plain timeout there must not end the wait.
    await sleep(2500)
    order.push('holder done')
    release()
    await Promise.all([holder, waiter])
    expect(order).toEqual(['holder done', 'waiter'])
    expect(waits).toBe(1)
  })

  it('stops waiting with CANCELLED when the signal fires', async () => {
    const lock = join(await tempDir(), '.release.lock')
    let release!: () => void
    const holder = withFileLock(lock, () => new Promise<void>((resolve) => (release = resolve)))
    await sleep(50)
    const cancel = new AbortController()
    const started = Date.now()
    const waiter = withCacheLock(lock, async () => 'ran', { signal: cancel.signal })
    setTimeout(() => cancel.abort(), 200)
    await expect(waiter).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(Date.now() - started).toBeLessThan(1500)
    release()
    await holder
  })
})
