import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { InstanceStatusName, InstanceSummary } from '../../src/shared/api'
import type { Result } from '../../src/shared/result'

const electron = vi.hoisted(() => ({ dialog: { showMessageBox: vi.fn() } }))
vi.mock('electron', () => electron)

import type { ApiBackend } from '../../src/service/apiBackend'
import { askWithMessageBox, settleVmsBeforeQuit, type AskOnQuit } from '../../src/main/quitPolicy'
import { typedCall } from '../support/looseBackend'

const instance = (name: string, status: InstanceStatusName) => ({ name, status }) as InstanceSummary

/** A runtime with some instances and an onQuit setting; teardownAll takes `stopMs` (or never ends). */
function runtime(instances: InstanceSummary[], onQuit: 'ask' | 'stop' | 'leave', stopMs: number | 'never' = 0) {
  const calls: [string, unknown][] = []
  let stopped = false
  const backend: ApiBackend = {
    call: typedCall(async (channel, request): Promise<Result<unknown>> => {
      calls.push([channel, request])
      if (channel === 'instances:list') return { ok: true, value: instances }
      if (channel === 'settings:get') return { ok: true, value: { app: { onQuit } } }
      if (channel === 'settings:update') return { ok: true, value: {} }
      if (channel === 'instances:teardownAll') {
        if (stopMs === 'never') return new Promise(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, stopMs))
        stopped = true
        return { ok: true, value: [] }
      }
      return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: channel } }
    }),
    onEvent: () => () => undefined,
    close: async () => undefined
  }
  return { backend, calls, channels: () => calls.map(([channel]) => channel), stopped: () => stopped }
}

function answering(choice: 'stop' | 'leave', remember: boolean) {
  const asked: string[][] = []
  const ask: AskOnQuit = async (running) => {
    asked.push(running.map((i) => i.name))
    return { choice, remember }
  }
  return { ask, asked }
}

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined)
})

describe('settleVmsBeforeQuit', () => {
  it('quits without a question when no VM is running or starting', async () => {
    const vms = runtime([instance('old', 'Finished'), instance('bad', 'Error')], 'ask')
    const { ask, asked } = answering('stop', false)
    expect(await settleVmsBeforeQuit(vms.backend, ask)).toBe('none')
    expect(asked).toEqual([])
    expect(vms.channels()).toEqual(['instances:list'])
  })

  it('asks about running and pending VMs; "Leave running" leaves them and remembers nothing', async () => {
    const vms = runtime([instance('a', 'Running'), instance('b', 'Pending'), instance('c', 'Finished')], 'ask')
    const { ask, asked } = answering('leave', false)
    expect(await settleVmsBeforeQuit(vms.backend, ask)).toBe('leave')
    expect(asked).toEqual([['a', 'b']])
    expect(vms.channels()).toEqual(['instances:list', 'settings:get'])
  })

  it('"Stop all" with "Remember my choice" saves onQuit and waits for the VMs to stop', async () => {
    const vms = runtime([instance('a', 'Running')], 'ask', 30)
    const { ask } = answering('stop', true)
    expect(await settleVmsBeforeQuit(vms.backend, ask)).toBe('stop')
    expect(vms.calls).toEqual([
      ['instances:list', undefined],
      ['settings:get', undefined],
      ['settings:update', { app: { onQuit: 'stop' } }],
      ['instances:teardownAll', undefined]
    ])
    expect(vms.stopped()).toBe(true)
  })

  it('"Leave running" remembered saves onQuit = leave', async () => {
    const vms = runtime([instance('a', 'Running')], 'ask')
    await settleVmsBeforeQuit(vms.backend, answering('leave', true).ask)
    expect(vms.calls).toContainEqual(['settings:update', { app: { onQuit: 'leave' } }])
    expect(vms.channels()).not.toContain('instances:teardownAll')
  })

  it('a remembered choice skips the question', async () => {
    const leave = runtime([instance('a', 'Running')], 'leave')
    const stop = runtime([instance('a', 'Running')], 'stop')
    const { ask, asked } = answering('stop', false)
    expect(await settleVmsBeforeQuit(leave.backend, ask)).toBe('leave')
    expect(await settleVmsBeforeQuit(stop.backend, ask)).toBe('stop')
    expect(asked).toEqual([])
    expect(leave.channels()).not.toContain('instances:teardownAll')
    expect(stop.stopped()).toBe(true)
  })

  it('stops waiting for "Stop all" at the cap', async () => {
    const vms = runtime([instance('a', 'Running')], 'stop', 'never')
    const started = Date.now()
    expect(await settleVmsBeforeQuit(vms.backend, answering('stop', false).ask, { listMs: 1_000, settingsMs: 1_000, stopMs: 50 })).toBe('stop')
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('leaves the VMs alone when the runtime does not say in time what runs', async () => {
    const vms = runtime([instance('a', 'Running')], 'stop')
    vms.backend.call = () => new Promise(() => undefined)
    const { ask, asked } = answering('stop', false)
    expect(await settleVmsBeforeQuit(vms.backend, ask, { listMs: 50, settingsMs: 1_000, stopMs: 1_000 })).toBe('none')
    expect(asked).toEqual([])
  })

  it('asks anyway when the onQuit setting does not come in time, and quits when saving the choice hangs', async () => {
    const vms = runtime([instance('a', 'Running')], 'stop')
    const list = vms.backend.call.bind(vms.backend)
    vms.backend.call = (channel, request) => (channel.startsWith('settings:') ? new Promise(() => undefined) : list(channel, request))
    const { ask, asked } = answering('leave', true)
    const started = Date.now()
    expect(await settleVmsBeforeQuit(vms.backend, ask, { listMs: 1_000, settingsMs: 50, stopMs: 1_000 })).toBe('leave')
    expect(asked).toEqual([['a']])
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('a hurried quit (a second Ctrl-C) closes the question as "Leave running" and stops waiting for "Stop all"', async () => {
    const hurry = new AbortController()
    const vms = runtime([instance('a', 'Running')], 'ask', 'never')
    let questionSignal: AbortSignal | undefined
    const ask: AskOnQuit = (_running, signal) => {
      questionSignal = signal
      // The native box answers "cancel" once its signal is aborted.
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ choice: 'leave', remember: false })))
    }
    const settled = settleVmsBeforeQuit(vms.backend, ask, undefined, hurry.signal)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(questionSignal?.aborted).toBe(false)
    hurry.abort()
    expect(await settled).toBe('leave')
    expect(vms.channels()).not.toContain('instances:teardownAll')

    const stopping = new AbortController()
    const stopAll = runtime([instance('a', 'Running')], 'stop', 'never')
    const started = Date.now()
    const stopped = settleVmsBeforeQuit(stopAll.backend, answering('stop', false).ask, undefined, stopping.signal)
    setTimeout(() => stopping.abort(), 30)
    expect(await stopped).toBe('stop')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('leaves the VMs alone when the runtime cannot list them', async () => {
    const vms = runtime([], 'stop')
    vms.backend.call = async () => ({ ok: false, error: { code: 'BACKEND_UNAVAILABLE', message: 'worker down' } })
    const { ask, asked } = answering('stop', false)
    expect(await settleVmsBeforeQuit(vms.backend, ask)).toBe('none')
    expect(asked).toEqual([])
  })
})

describe('askWithMessageBox', () => {
  it('asks "Stop all / Leave running" with a "Remember my choice" box, Escape meaning leave', async () => {
    electron.dialog.showMessageBox.mockResolvedValueOnce({ response: 0, checkboxChecked: true })
    const parent = { id: 1 }
    const ask = askWithMessageBox(() => parent as never)
    expect(await ask([instance('a', 'Running'), instance('b', 'Pending')], new AbortController().signal)).toEqual({ choice: 'stop', remember: true })
    const [window, options] = electron.dialog.showMessageBox.mock.calls[0] ?? []
    expect(window).toBe(parent)
    expect(options).toMatchObject({ buttons: ['Stop all', 'Leave running'], cancelId: 1, defaultId: 1, checkboxLabel: 'Remember my choice' })
    expect(options.message).toContain('2 VMs')
    // The box closes (as cancelled) when the quit is hurried.
    expect(options.signal).toBeInstanceOf(AbortSignal)

    electron.dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false })
    expect(await askWithMessageBox(() => null)([instance('a', 'Running')], new AbortController().signal)).toEqual({ choice: 'leave', remember: false })
    expect(electron.dialog.showMessageBox.mock.calls[1]).toHaveLength(1)
  })
})
