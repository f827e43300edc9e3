// @vitest-environment jsdom
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fail } from '../../src/shared/result'
import SettingsView from '../../src/renderer/src/views/SettingsView.vue'
import { useTasksStore } from '../../src/renderer/src/stores/tasksStore'
import { createFakeApi, removeFakeApi, type FakeApi } from './fakeApi'
import { freshApp, mountWith } from './harness'

let view: VueWrapper | undefined
afterEach(() => {
  view?.unmount()
  view = undefined
  removeFakeApi()
  vi.unstubAllGlobals()
  delete document.documentElement.dataset.theme
})

async function setup(api: FakeApi = createFakeApi()) {
  const pinia = freshApp(api)
  view = mountWith(SettingsView, pinia)
  await flushPromises()
  return { api, view }
}

const fieldError = (w: VueWrapper, id: string) => w.get(`[data-field-error="settings-${id}"]`).text()
const save = (w: VueWrapper) => w.get('[data-test="save"]')

describe('Settings view', () => {
  it('shows the saved settings, the directories read-only, and the interfaces to pick from', async () => {
    const { view } = await setup()
    expect((view.get('#settings-pool').element as HTMLInputElement).value).toBe('172.30.0.0/16')
    expect((view.get('#settings-grace').element as HTMLInputElement).value).toBe('30')
    expect((view.get('#settings-log').element as HTMLInputElement).value).toBe('16')
    expect(view.get('.dirs').text()).toContain('/home/u/.cache/bpvm')
    expect(view.find('.dirs input').exists()).toBe(false)
    const options = view.findAll('#settings-egress option').map((o) => o.text())
    expect(options[0]).toBe("The default route's interface")
    expect(options[1]).toContain('eth0 (192.0.2.10/24) — default route')
    expect(options[2]).toContain('wlan0 — down')
    // Nothing changed yet: nothing to save.
    expect(save(view).attributes('disabled')).toBeDefined()
  })

  it('checks values before saving and keeps Save disabled while one is wrong', async () => {
    const { view, api } = await setup()
    await view.get('#settings-grace').setValue('3601')
    expect(fieldError(view, 'grace')).toBe('must be a whole number of seconds from 0 to 3600')
    await view.get('#settings-pool').setValue('10.0.0.0')
    expect(fieldError(view, 'pool')).toContain('must be an IPv4 network')
    await view.get('#settings-log').setValue('0.01')
    expect(fieldError(view, 'log')).toContain('64 KiB')
    expect(save(view).attributes('disabled')).toBeDefined()
    await view.get('form').trigger('submit')
    expect(api.settings.update).not.toHaveBeenCalled()
  })

  it('saves only what changed, in the runtime units', async () => {
    const { view, api } = await setup()
    await view.get('#settings-grace').setValue('10')
    await view.get('#settings-log').setValue('32')
    await view.get('#settings-egress').setValue('eth0')
    await view.get('#settings-quit').setValue('stop')
    await save(view).trigger('click')
    await flushPromises()
    expect(api.settings.update).toHaveBeenCalledWith({
      app: { graceSeconds: 10, logMaxBytes: 32 * 1024 * 1024, onQuit: 'stop' },
      network: { egressInterface: 'eth0' }
    })
    expect(save(view).attributes('disabled')).toBeDefined()

    await view.get('#settings-egress').setValue('')
    await save(view).trigger('click')
    await flushPromises()
    expect(api.settings.update).toHaveBeenLastCalledWith({ network: { egressInterface: null } })
  })

  it("shows the runtime's refusal on the field it names", async () => {
    const api = createFakeApi()
    vi.mocked(api.settings.update).mockResolvedValue(
      fail({ code: 'INVALID_INPUT', message: 'network pool: 172.30.0.1/16 has host bits set; did you mean 172.30.0.0/16?', details: { field: 'network pool' } })
    )
    const { view } = await setup(api)
    await view.get('#settings-pool').setValue('172.30.0.1/16')
    await save(view).trigger('click')
    await flushPromises()
    expect(fieldError(view, 'pool')).toBe('172.30.0.1/16 has host bits set; did you mean 172.30.0.0/16?')
    expect(view.get('#settings-pool').attributes('aria-invalid')).toBe('true')
    await view.get('#settings-pool').setValue('172.30.0.0/16')
    expect(fieldError(view, 'pool')).toBe('')
  })

  it('applies a theme at once and saves it', async () => {
    const { view, api } = await setup()
    expect(document.documentElement.dataset.theme).toBe('light')
    await view.get('[data-test="theme"]').setValue('dark')
    expect(document.documentElement.dataset.theme).toBe('dark')
    await flushPromises()
    expect(api.settings.update).toHaveBeenCalledWith({ app: { theme: 'dark' } })
  })

  it('follows the system preference when the theme is "system"', async () => {
    let dark = true
    const listeners: Array<() => void> = []
    vi.stubGlobal('matchMedia', () => ({
      get matches() {
        return dark
      },
      addEventListener: (_: string, listener: () => void) => listeners.push(listener),
      removeEventListener: () => undefined
    }))
    await setup()
    expect(document.documentElement.dataset.theme).toBe('dark')
    dark = false
    for (const listener of listeners) listener()
    expect(document.documentElement.dataset.theme).toBe('light')
  })

  it('builds the Debian image as a task the tray follows, and says so when it cannot start', async () => {
    const { view, api } = await setup()
    expect(view.findAll('#settings-image option').map((o) => o.attributes('value'))).toEqual(['ubuntu', 'debian', 'dev'])
    await view.get('[data-test="build-debian"]').trigger('click')
    await flushPromises()
    expect(api.images.buildDebian).toHaveBeenCalledTimes(1)
    expect(useTasksStore().all.map((t) => t.info.kind)).toEqual(['image-build-debian'])
    vi.mocked(api.images.buildDebian).mockResolvedValue(fail({ code: 'BACKEND_UNAVAILABLE', message: 'the runtime is restarting' }))
    await view.get('[data-test="build-debian"]').trigger('click')
    await flushPromises()
    expect(view.text()).toContain('Could not start the build')
    expect(view.text()).toContain('the runtime is restarting')
  })

  it('takes a refused theme back', async () => {
    const api = createFakeApi()
    vi.mocked(api.settings.update).mockResolvedValue(fail({ code: 'IO_ERROR', message: 'theme: could not write settings.json' }))
    const { view } = await setup(api)
    await view.get('[data-test="theme"]').setValue('dark')
    await flushPromises()
    expect(document.documentElement.dataset.theme).toBe('light')
    expect(fieldError(view, 'theme')).toContain('could not write settings.json')
  })
})
