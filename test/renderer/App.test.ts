// @vitest-environment jsdom
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ok } from '../../src/shared/result'
import App from '../../src/renderer/src/App.vue'
import { createFakeApi, instance, removeFakeApi, task, type FakeApi } from './fakeApi'
import { freshApp, mountWith } from './harness'

let app: VueWrapper | undefined
afterEach(() => {
  app?.unmount()
  app = undefined
  removeFakeApi()
})

async function setup(api: FakeApi = createFakeApi(), hash = '') {
  const pinia = freshApp(api)
  if (hash) window.history.replaceState(null, '', hash)
  app = mountWith(App, pinia)
  await flushPromises()
  return { api, app }
}

const viewTitle = (w: VueWrapper) => w.get('main h2').text()

describe('App', () => {
  it('opens on Instances, with a navigation that marks the current view', async () => {
    const { app } = await setup()
    expect(app.get('h1').text()).toBe('Blueprint VM Manager')
    expect(viewTitle(app)).toBe('Instances')
    expect(app.get('nav a[aria-current="page"]').text()).toContain('Instances')
    await app.get('nav a[data-view="settings"]').trigger('click')
    await flushPromises()
    expect(viewTitle(app)).toBe('Settings')
    expect(window.location.hash).toBe('#/settings')
    // The new view's heading takes focus, so a screen reader says where the user is.
    expect(document.activeElement?.textContent).toBe('Settings')
  })

  it('switches views with Alt+1…5', async () => {
    const { app } = await setup()
    await app.get('main').trigger('keydown', { key: '2', altKey: true })
    await flushPromises()
    expect(viewTitle(app)).toBe('Launch')
    await app.get('main').trigger('keydown', { key: '4', altKey: true })
    await flushPromises()
    expect(viewTitle(app)).toBe('Host')
  })

  it('starts on the view the URL names, and follows back/forward', async () => {
    const { app } = await setup(createFakeApi(), '#/launch')
    expect(viewTitle(app)).toBe('Launch')
    // A hash typed into the address bar: the browser changes the location, then says so with popstate.
    window.history.replaceState(null, '', '#/host')
    window.dispatchEvent(new PopStateEvent('popstate', { state: null }))
    await flushPromises()
    expect(viewTitle(app)).toBe('Host')
    await app.get('nav a[data-view="settings"]').trigger('click')
    await flushPromises()
    expect(viewTitle(app)).toBe('Settings')
    window.history.back()
    await vi.waitFor(() => expect(viewTitle(app)).toBe('Host'))
  })

  it('opens the Host view at start when a required check fails', async () => {
    const api = createFakeApi()
    vi.mocked(api.host.doctor).mockResolvedValue(
      ok({ programs: [{ program: 'qemu-img', purpose: 'Creates VM disk images', found: false, required: true, fix: 'sudo apt install qemu-utils' }], host: [] })
    )
    const { app } = await setup(api)
    expect(viewTitle(app)).toBe('Host')
    expect(app.get('[data-test="blocked"]').text()).toContain('Launches will fail')
    expect(app.get('[data-test="fix"]').text()).toBe('sudo apt install qemu-utils')
  })

  it('shows a banner while the runtime is not ready, and announces the change', async () => {
    const { api, app } = await setup()
    expect(app.find('[data-test="backend-banner"]').exists()).toBe(false)
    api.emit('backend:status', { state: 'ready', restarts: 0 })
    api.emit('backend:status', { state: 'restarting', restarts: 1, message: 'the worker exited (code 1)' })
    await flushPromises()
    const banner = app.get('[data-test="backend-banner"]')
    expect(banner.attributes('role')).toBe('alert')
    expect(banner.text()).toContain('being restarted')
    expect(banner.text()).toContain('the worker exited (code 1)')
    expect(app.get('[data-test="announcer"]').attributes('aria-live')).toBe('polite')
    expect(app.get('[data-test="announcer"]').text()).toContain('The runtime is restarting.')
    api.emit('backend:status', { state: 'ready', restarts: 1 })
    await flushPromises()
    expect(app.find('[data-test="backend-banner"]').exists()).toBe(false)
  })

  it('announces status changes of instances', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('svc', { status: 'Pending', phase: 'launching' })]))
    const { app } = await setup(api)
    api.emit('instances:changed', [instance('svc')])
    await flushPromises()
    expect(app.get('[data-test="announcer"]').text()).toContain('svc is Running.')
  })

  it('keeps the task tray across views', async () => {
    const { api, app } = await setup()
    api.emit('tasks:progress', task({ step: 'image', bytes: 1, totalBytes: 2, percent: 50 }))
    await flushPromises()
    expect(app.find('[data-test="task-tray"]').exists()).toBe(true)
    await app.get('nav a[data-view="settings"]').trigger('click')
    await app.get('nav a[data-view="host"]').trigger('click')
    await flushPromises()
    expect(app.get('[data-task="task-1"]').text()).toContain('50%')
  })

  it('gives every button and form control an accessible name', async () => {
    const { app } = await setup()
    for (const view of ['instances', 'launch', 'logs', 'host', 'settings']) {
      await app.get(`nav a[data-view="${view}"]`).trigger('click')
      await flushPromises()
      for (const control of app.findAll('button, input, select, textarea')) {
        const el = control.element as HTMLElement
        const labelled =
          !!el.getAttribute('aria-label') ||
          !!el.getAttribute('aria-labelledby') ||
          (el.id !== '' && !!document.querySelector(`label[for="${el.id}"]`)) ||
          !!el.closest('label') ||
          (el.tagName === 'BUTTON' && el.textContent?.trim() !== '')
        expect(labelled, `${view}: ${el.outerHTML.slice(0, 120)}`).toBe(true)
      }
    }
  })
})
