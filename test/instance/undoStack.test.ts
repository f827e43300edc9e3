import { describe, expect, it } from 'vitest'
import { UndoStack } from '../../src/main/runtime/instance/undoStack'

describe('the undo stack of a launch', () => {
  it('undoes in reverse order and reports the undos that failed', async () => {
    const undo = new UndoStack()
    const done: string[] = []
    undo.push('lease', async () => void done.push('lease'))
    undo.push('tap', async () => {
      throw new Error('device busy')
    })
    undo.push('vmm', async () => void done.push('vmm'))
    expect(await undo.unwind()).toEqual(['tap: device busy'])
    expect(done).toEqual(['vmm', 'lease'])
    expect(await undo.unwind()).toEqual([])
  })

  it('waits for a step still starting, and undoes it once it has started', async () => {
    const undo = new UndoStack()
    const done: string[] = []
    let started: (pid: number) => void = () => undefined
    undo.pushStarting('bridge', new Promise<number>((resolve) => (started = resolve)), async (pid) => void done.push(`stopped ${pid}`))
    const unwinding = undo.unwind()
    await new Promise((r) => setTimeout(r, 20))
    expect(done).toEqual([])
    started(4242)
    expect(await unwinding).toEqual([])
    expect(done).toEqual(['stopped 4242'])
  })

  it('has nothing to undo for a step that failed to start, and leaves its failure to whoever awaits it', async () => {
    const undo = new UndoStack()
    let undone = false
    const starting = Promise.reject(new Error('the bridge did not start'))
    undo.pushStarting('bridge', starting, async () => void (undone = true))
    expect(await undo.unwind()).toEqual([])
    expect(undone).toBe(false)
    await expect(starting).rejects.toThrow('the bridge did not start')
  })
})
