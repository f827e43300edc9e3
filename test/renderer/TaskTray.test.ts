// @vitest-environment jsdom
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ok } from '../../src/shared/result'
import TaskTray from '../../src/renderer/src/components/TaskTray.vue'
import { useTasksStore } from '../../src/renderer/src/stores/tasksStore'
import { TransferRate } from '../../src/renderer/src/stores/transferRate'
import { createFakeApi, removeFakeApi, task } from './fakeApi'
import { freshApp, mountWith } from './harness'

const MiB = 1024 * 1024
let view: VueWrapper | undefined
afterEach(() => {
  view?.unmount()
  view = undefined
  removeFakeApi()
  vi.useRealTimers()
})

async function setup() {
  const api = createFakeApi()
  const pinia = freshApp(api)
  view = mountWith(TaskTray, pinia)
  await flushPromises()
  return { api, view }
}

describe('TransferRate', () => {
  it('measures bytes per second over recent reports and the time left at that pace', () => {
    const rate = new TransferRate(5000)
    rate.sample(0, 0)
    expect(rate.bytesPerSecond).toBeUndefined()
    rate.sample(1000, 2 * MiB)
    expect(rate.bytesPerSecond).toBe(2 * MiB)
    expect(rate.secondsLeft(10 * MiB)).toBe(4)
    // Old reports leave the window, so the pace follows the recent speed.
    rate.sample(6000, 3 * MiB)
    rate.sample(11_000, 13 * MiB)
    expect(rate.bytesPerSecond).toBe(2 * MiB)
    rate.sample(12_000, 13 * MiB)
    expect(rate.bytesPerSecond).toBeCloseTo((10 * MiB) / 6, 0)
    expect(rate.secondsLeft(undefined)).toBeUndefined()
  })

  it('starts over when the count goes back (the next file)', () => {
    const rate = new TransferRate()
    rate.sample(0, 0)
    rate.sample(1000, 5 * MiB)
    rate.sample(2000, 1 * MiB)
    expect(rate.bytesPerSecond).toBeUndefined()
  })
})

describe('Task tray', () => {
  it('is absent until there is a task', async () => {
    const { view } = await setup()
    expect(view.find('[data-test="task-tray"]').exists()).toBe(false)
  })

  it('shows step, bytes, percent, speed and time left from successive progress reports', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(0)
    const { api, view } = await setup()
    api.emit('tasks:progress', task({ title: 'Download Ubuntu 24.04', kind: 'image-pull', step: 'image', message: 'noble-server-cloudimg-amd64.img', bytes: 0, totalBytes: 100 * MiB, percent: 0 }))
    await flushPromises()
    expect(view.get('h2').text()).toBe('Tasks (1 running)')
    expect(view.get('[data-test="task-step"]').text()).toBe('image noble-server-cloudimg-amd64.img')
    expect(view.get('[data-test="task-speed"]').text()).toBe('')

    vi.setSystemTime(2000)
    api.emit('tasks:progress', task({ title: 'Download Ubuntu 24.04', kind: 'image-pull', step: 'image', bytes: 10 * MiB, totalBytes: 100 * MiB, percent: 10 }))
    await flushPromises()
    expect(view.get('[data-test="task-bytes"]').text()).toBe('10 MiB of 100 MiB')
    expect(view.get('[data-test="task-percent"]').text()).toBe('10%')
    expect(view.get('[data-test="task-speed"]').text()).toBe('5.0 MiB/s')
    expect(view.get('[data-test="task-eta"]').text()).toBe('18 s left')
    expect(view.get('progress').attributes('aria-valuetext')).toBe('10 percent')
  })

  it('cancels through tasks:cancel and shows the end state', async () => {
    const { api, view } = await setup()
    api.emit('tasks:progress', task({ step: 'disks', message: 'building the service disk' }))
    await flushPromises()
    await view.get('button[aria-label="Cancel Launch svc"]').trigger('click')
    expect(view.get('[data-test="cancel-task"]').text()).toBe('Cancelling…')
    await flushPromises()
    expect(api.tasks.cancel).toHaveBeenCalledWith({ id: 'task-1' })
    api.emit('tasks:progress', task({ state: 'cancelled', step: 'disks', message: 'cancelled; undone' }))
    await flushPromises()
    expect(view.get('[data-task="task-1"]').attributes('data-state')).toBe('cancelled')
    expect(view.find('[data-test="cancel-task"]').exists()).toBe(false)
    await view.get('button[aria-label="Dismiss Launch svc"]').trigger('click')
    expect(view.find('[data-test="task-tray"]').exists()).toBe(false)
  })

  it('shows a refused cancel with its code', async () => {
    const { api, view } = await setup()
    vi.mocked(api.tasks.cancel).mockResolvedValue({ ok: false, error: { code: 'TASK_NOT_CANCELLABLE', message: 'the VM is booting' } })
    api.emit('tasks:progress', task())
    await flushPromises()
    await view.get('[data-test="cancel-task"]').trigger('click')
    await flushPromises()
    expect(view.get('[data-test="error"]').text()).toContain('TASK_NOT_CANCELLABLE')
    expect(view.get('[data-test="cancel-task"]').attributes('disabled')).toBeUndefined()
  })

  it('picks up tasks already running when the app starts', async () => {
    const api = createFakeApi()
    vi.mocked(api.tasks.list).mockResolvedValue(ok([task({ id: 'old', title: 'Build the dev guest', step: 'packages' })]))
    const pinia = freshApp(api)
    await useTasksStore().load()
    view = mountWith(TaskTray, pinia)
    expect(view.get('[data-task="old"]').text()).toContain('Build the dev guest')
  })
})
