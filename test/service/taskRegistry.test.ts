import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createTaskRegistry, type TaskControl } from '../../src/service/taskRegistry'
import { BpvmError } from '../../src/shared/errors'
import type { TaskInfo } from '../../src/shared/api'

function registry(options: { keepEnded?: number } = {}) {
  const changes: Array<TaskInfo & { at: number }> = []
  const tasks = createTaskRegistry({ onChange: (task) => void changes.push({ ...task, at: Date.now() }), ...options })
  const until = async (id: string, state: TaskInfo['state']): Promise<TaskInfo> => {
    for (let i = 0; i < 200; i++) {
      const found = changes.find((c) => c.id === id && c.state === state)
      if (found) return found
      await sleep(10)
    }
    throw new Error(`task ${id} never became ${state}`)
  }
  return { tasks, changes, until }
}

/** Work that runs until it is cancelled, the way a download stops on its signal. */
const untilAborted = ({ signal }: TaskControl): Promise<void> =>
  new Promise((_resolve, reject) => {
    const stop = (): void => reject(new BpvmError('CANCELLED', 'the work was cancelled'))
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop)
  })

describe('the task registry', () => {
  it('answers with the running task at once and reports each step, then the end', async () => {
    const { tasks, changes, until } = registry()
    const started = tasks.start({
      kind: 'launch', title: 'Launch svc', target: 'svc', cancellable: true,
      async run({ progress }) {
        progress({ step: 'check', message: 'checking' })
        progress({ step: 'lease', message: 'leasing' })
      }
    })
    expect(started).toMatchObject({ kind: 'launch', title: 'Launch svc', target: 'svc', state: 'running' })
    expect(started.step).toBeUndefined()
    const ended = await until(started.id, 'succeeded')
    expect(ended).toMatchObject({ step: 'lease', message: 'leasing', endedAt: expect.any(String) })
    expect(changes.map((c) => [c.state, c.step])).toEqual([['running', undefined], ['running', 'check'], ['running', 'lease'], ['succeeded', 'lease']])
    expect(tasks.list()).toEqual([expect.objectContaining({ id: started.id, state: 'succeeded' })])
  })

  it('sends byte progress at most every 100 ms, and always the latest', async () => {
    const { tasks, changes, until } = registry()
    const started = tasks.start({
      kind: 'image-pull', title: 'Download', target: 'ubuntu', cancellable: true,
      async run({ progress }) {
        for (let bytes = 1; bytes <= 30; bytes++) {
          progress({ step: 'download', message: 'downloading', bytes, totalBytes: 30, percent: Math.round((bytes / 30) * 100) })
          await sleep(10)
        }
        await sleep(150)
      }
    })
    await until(started.id, 'succeeded')
    const bytes = changes.filter((c) => c.state === 'running' && c.bytes !== undefined)
    // Of 30 reports, those sent are at least 100 ms apart (below), and the last carries the final count.
    expect(bytes.length).toBeGreaterThan(1)
    expect(bytes.at(-1)).toMatchObject({ bytes: 30, percent: 100 })
    for (let i = 1; i < bytes.length; i++) expect(bytes[i]!.at - bytes[i - 1]!.at).toBeGreaterThanOrEqual(90)
  })

  it('cancels a running task, which ends as cancelled with its error', async () => {
    const { tasks, until } = registry()
    const started = tasks.start({ kind: 'image-pull', title: 'Download', target: 'ubuntu', cancellable: true, run: untilAborted })
    expect(tasks.running('image-pull')?.id).toBe(started.id)
    expect(tasks.cancel(started.id)).toMatchObject({ state: 'running', message: expect.stringContaining('cancelling') })
    expect(await until(started.id, 'cancelled')).toMatchObject({ error: { code: 'CANCELLED' } })
    expect(tasks.running('image-pull')).toBeUndefined()
    // An ended task is answered as it is.
    expect(tasks.cancel(started.id)).toMatchObject({ state: 'cancelled' })
    expect(() => tasks.cancel('nope')).toThrow(expect.objectContaining({ code: 'TASK_NOT_FOUND' }))
  })

  it('refuses to cancel work that cannot stop half-way', async () => {
    const { tasks, until } = registry()
    let finish = (): void => undefined
    const started = tasks.start({ kind: 'image-build-dev', title: 'Build', target: 'dev', cancellable: false, run: () => new Promise<void>((resolve) => (finish = resolve)) })
    expect(() => tasks.cancel(started.id)).toThrow(expect.objectContaining({ code: 'TASK_NOT_CANCELLABLE' }))
    finish()
    await until(started.id, 'succeeded')
  })

  it('reports a failure with its error data', async () => {
    const { tasks, until } = registry()
    const started = tasks.start({
      kind: 'launch', title: 'Launch x', target: 'x', cancellable: true,
      run: async () => {
        throw new BpvmError('KVM_UNAVAILABLE', 'no /dev/kvm')
      }
    })
    expect(await until(started.id, 'failed')).toMatchObject({ error: { code: 'KVM_UNAVAILABLE', message: 'no /dev/kvm' } })
  })

  it('keeps only the most recent ended tasks', async () => {
    const { tasks, until } = registry({ keepEnded: 5 })
    const ids = Array.from({ length: 8 }, (_, i) => tasks.start({ kind: 'launch', title: `t${i}`, target: `t${i}`, cancellable: true, run: async () => undefined }).id)
    await until(ids.at(-1)!, 'succeeded')
    await sleep(10)
    expect(tasks.list().map((t) => t.id)).toEqual(ids.slice(3))
  })

  it('cancels running tasks on close and waits for them to finish undoing', async () => {
    const { tasks } = registry()
    let undone = false
    const started = tasks.start({
      kind: 'launch', title: 'Launch y', target: 'y', cancellable: true,
      run: async (control) => {
        await untilAborted(control).catch(async (error: unknown) => {
          await sleep(50)
          undone = true
          throw error
        })
      }
    })
    await tasks.close(2_000)
    expect(undone).toBe(true)
    expect(tasks.list()).toEqual([expect.objectContaining({ id: started.id, state: 'cancelled' })])
  })
})
