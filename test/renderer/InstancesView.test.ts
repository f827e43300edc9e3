// @vitest-environment jsdom
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TeardownResult } from '../../src/shared/api'
import { ok, type Result } from '../../src/shared/result'
import InstancesView from '../../src/renderer/src/views/InstancesView.vue'
import { useNavStore } from '../../src/renderer/src/stores/navStore'
import { useTasksStore } from '../../src/renderer/src/stores/tasksStore'
import { createFakeApi, instance, removeFakeApi, type FakeApi } from './fakeApi'
import { freshApp, mountWith } from './harness'

let view: VueWrapper | undefined
afterEach(() => {
  view?.unmount()
  view = undefined
  removeFakeApi()
})

async function setup(api: FakeApi) {
  const pinia = freshApp(api)
  view = mountWith(InstancesView, pinia)
  await flushPromises()
  return view
}

const row = (w: VueWrapper, name: string) => w.get(`tr[data-instance="${name}"]`)

describe('Instances view', () => {
  it('tells the user what to do when there are no instances', async () => {
    const view = await setup(createFakeApi())
    const empty = view.get('[data-test="instances-empty"]')
    expect(empty.text()).toContain('No instances yet')
    await empty.get('button').trigger('click')
    await flushPromises()
    expect(useNavStore().route.view).toBe('launch')
  })

  it('lists instances with status text, address, uptime, size, image and VMM', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha'), instance('beta', { status: 'Finished', phase: 'stopped', guestAddress: '' })]))
    const view = await setup(api)
    const alpha = row(view, 'alpha')
    expect(alpha.get('[data-test="status"]').text()).toBe('● Running')
    expect(alpha.get('[data-test="status"]').classes()).toContain('status--running')
    expect(alpha.text()).toContain('172.30.0.2')
    expect(alpha.get('[data-test="uptime"]').text()).toMatch(/^1 min \d+ s$/)
    expect(alpha.text()).toContain('512 MiB')
    expect(alpha.text()).toContain('ubuntu/noble-20260321')
    expect(alpha.text()).toContain('qemu')
    const beta = row(view, 'beta')
    expect(beta.get('[data-test="status"]').text()).toBe('■ Stopped')
    expect(beta.get('[data-test="stop"]').attributes('disabled')).toBeDefined()
    // The grace period from the settings is shown with Stop.
    expect(alpha.get('[data-test="stop"]').attributes('aria-label')).toBe('Stop alpha (waits up to 30 s)')
  })

  it("shows each instance's bridge: connected or waiting, its ports as links, its registration, its warning", async () => {
    const api = createFakeApi()
    const lastPingAt = new Date(Date.now() - 3_000).toISOString()
    vi.mocked(api.instances.list).mockResolvedValue(
      ok([
        instance('alpha', {
          bridge: {
            transport: 'vhost-user-vsock', running: true, pings: 1, lastPingAt,
            ports: [{ port: 18080, preferred: 18080, url: 'http://127.0.0.1:18080', guestAccepts: true }, { port: 18081, preferred: 0, url: 'http://127.0.0.1:18081', guestAccepts: false }],
            registration: { serviceId: '2', apiKeyPrefix: 'svc_', upstreamUrl: 'http://127.0.0.1:18080', owners: [{ keyType: 'ECDSA', key: '02' }], tls: { enabled: false, requireClientMtls: false } }
          }
        }),
        instance('beta', { bridge: { transport: 'relay', running: true, pings: 0, ports: [], warning: 'the service has not pinged its bridge 60 s after it started' } }),
        instance('gamma')
      ])
    )
    const view = await setup(api)
    const alpha = row(view, 'alpha')
    expect(alpha.get('[data-test="bridge-line"]').text()).toMatch(/^connected [34] s ago$/)
    expect(alpha.get('[data-test="bridge-transport"]').text()).toBe('vhost-user-vsock')
    const links = alpha.findAll('[data-test="bridge-port"]')
    expect(links.map((l) => l.attributes('href'))).toEqual(['http://127.0.0.1:18080', 'http://127.0.0.1:18081'])
    expect(links[0]?.attributes('rel')).toBe('noopener noreferrer')
    expect(alpha.text()).toContain('refused in the guest (not listening yet, or only on its loopback)')
    expect(alpha.get('[data-test="bridge-registration"]').text()).toMatch(/proxy: service 2 → http:\/\/127\.0\.0\.1:18080, key prefix svc_,\s+1 owner\s+\(ECDSA\), TLS off/)
    const beta = row(view, 'beta')
    expect(beta.get('[data-test="bridge-line"]').text()).toBe('waiting')
    expect(beta.get('[data-test="bridge-transport"]').text()).toBe('relay')
    expect(beta.get('[data-test="bridge-warning"]').text()).toContain('has not pinged its bridge')
    expect(row(view, 'gamma').find('[data-test="bridge"]').exists()).toBe(false)
  })

  it("shows each instance's host loopback forwards, guest side → host side", async () => {
    const api = createFakeApi()
    const forwards = [
      { guest: '172.30.0.1:9944', host: '127.0.0.1:9944', for: ['HTTP_RPC_URL', 'WS_RPC_URL'] },
      { guest: '172.30.0.1:9000', host: '127.0.0.1:9000', for: ['http://127.0.0.1:9000'] }
    ]
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha', { forwards }), instance('beta')]))
    const view = await setup(api)
    const shown = row(view, 'alpha').findAll('[data-test="forward"]')
    expect(shown.map((f) => f.text())).toEqual([':9944 → 127.0.0.1:9944', ':9000 → 127.0.0.1:9000'])
    expect(shown[0]?.attributes('title')).toBe("The guest's 172.30.0.1:9944 (its gateway) reaches this host's 127.0.0.1:9944, for HTTP_RPC_URL, WS_RPC_URL")
    expect(row(view, 'beta').findAll('[data-test="forward"]')).toEqual([])
  })

  it('updates rows from instances:changed without reloading', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha')]))
    const view = await setup(api)
    api.emit('instances:changed', [instance('alpha', { status: 'Error', reason: 'VMM exited' }), instance('gamma', { status: 'Pending' })])
    await flushPromises()
    expect(row(view, 'alpha').get('[data-test="status"]').text()).toBe('✗ Error')
    expect(row(view, 'alpha').text()).toContain('VMM exited')
    expect(row(view, 'gamma').get('[data-test="status"]').text()).toBe('◔ Starting')
    expect(api.instances.list).toHaveBeenCalledTimes(1)
  })

  it('shows "Stopping…" at once, keeps it while the instance still runs, and takes the row from the event', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha'), instance('beta')]))
    let answer: (result: Result<TeardownResult>) => void = () => undefined
    vi.mocked(api.instances.teardown).mockImplementation(() => new Promise((resolve) => (answer = resolve)))
    const view = await setup(api)

    await row(view, 'alpha').get('[data-test="stop"]').trigger('click')
    expect(api.instances.teardown).toHaveBeenCalledWith({ name: 'alpha' })
    expect(row(view, 'alpha').get('[data-test="status"]').text()).toBe('◌ Stopping…')
    expect(row(view, 'alpha').get('[data-test="stop"]').attributes('disabled')).toBeDefined()

    // Another instance changing leaves alpha Stopping…
    api.emit('instances:changed', [instance('alpha'), instance('beta', { status: 'Error' })])
    await flushPromises()
    expect(row(view, 'alpha').get('[data-test="status"]').text()).toBe('◌ Stopping…')

    api.emit('instances:changed', [instance('alpha', { status: 'Finished', phase: 'stopped' }), instance('beta', { status: 'Error' })])
    await flushPromises()
    expect(row(view, 'alpha').get('[data-test="status"]').text()).toBe('■ Stopped')

    answer(ok({ name: 'alpha', status: 'Finished', reason: '', stopped: 'graceful', purged: false }))
    await flushPromises()
    expect(row(view, 'alpha').get('[data-test="status"]').text()).toBe('■ Stopped')
  })

  it('force-stops, and shows a failed stop with its code', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha')]))
    vi.mocked(api.instances.teardown).mockResolvedValue({ ok: false, error: { code: 'QMP_TIMEOUT', message: 'QMP did not answer' } })
    const view = await setup(api)
    await row(view, 'alpha').get('[data-test="force-stop"]').trigger('click')
    await flushPromises()
    expect(api.instances.teardown).toHaveBeenCalledWith({ name: 'alpha', force: true })
    expect(view.get('[data-test="error"]').text()).toContain('QMP_TIMEOUT')
    expect(row(view, 'alpha').get('[data-test="status"]').text()).toBe('● Running')
  })

  it('works from the keyboard on a focused row: S stops, Shift+S force-stops, L opens the logs, Delete asks', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha'), instance('beta')]))
    const view = await setup(api)
    await row(view, 'alpha').trigger('keydown', { key: 's' })
    await row(view, 'beta').trigger('keydown', { key: 'S', shiftKey: true })
    await flushPromises()
    expect(api.instances.teardown).toHaveBeenCalledWith({ name: 'alpha' })
    expect(api.instances.teardown).toHaveBeenCalledWith({ name: 'beta', force: true })
    // A key typed into one of the row's own controls is theirs, not a shortcut.
    await row(view, 'alpha').get('input[type="checkbox"]').trigger('keydown', { key: 'l' })
    expect(useNavStore().route.view).not.toBe('logs')
    await row(view, 'beta').trigger('keydown', { key: 'Delete' })
    expect(view.find('[role="dialog"]').exists()).toBe(true)
    await row(view, 'alpha').trigger('keydown', { key: 'l' })
    await flushPromises()
    expect(useNavStore().route).toMatchObject({ view: 'logs', instance: 'alpha' })
  })

  it('asks before deleting, and purges only when the disks are to go', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha'), instance('beta')]))
    const view = await setup(api)
    await row(view, 'alpha').get('[data-test="delete"]').trigger('click')
    const dialog = view.get('[role="dialog"]')
    expect(dialog.text()).toContain('Delete alpha?')
    expect((dialog.get('[data-test="keep-disks"]').element as HTMLInputElement).checked).toBe(true)
    await dialog.get('[data-test="purge"]').setValue(true)
    await dialog.get('[data-test="confirm"]').trigger('click')
    await flushPromises()
    expect(api.instances.teardown).toHaveBeenCalledWith({ name: 'alpha', purge: true })
    expect(view.find('tr[data-instance="alpha"]').exists()).toBe(false)
    expect(view.find('[role="dialog"]').exists()).toBe(false)
  })

  it('stops and deletes the selection in bulk', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('a'), instance('b'), instance('c')]))
    const view = await setup(api)
    await view.get('input[aria-label="Select a"]').setValue(true)
    await view.get('input[aria-label="Select c"]').setValue(true)
    expect(view.get('[data-test="selection-count"]').text()).toBe('2 selected')
    await view.get('[data-test="bulk-stop"]').trigger('click')
    await flushPromises()
    expect(vi.mocked(api.instances.teardown).mock.calls.map(([request]) => request)).toEqual([{ name: 'a' }, { name: 'c' }])

    await view.get('[data-test="bulk-delete"]').trigger('click')
    expect(view.get('[role="dialog"]').text()).toContain('Delete 2 instances?')
    await view.get('[role="dialog"] [data-test="confirm"]').trigger('click')
    await flushPromises()
    expect(vi.mocked(api.instances.teardown).mock.calls.slice(2).map(([request]) => request)).toEqual([
      { name: 'a', purge: false },
      { name: 'c', purge: false }
    ])
  })

  it('tears everything down after one confirmation', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('a'), instance('b')]))
    vi.mocked(api.instances.teardownAll).mockResolvedValue(
      ok([
        { name: 'a', status: 'Finished', reason: '', stopped: 'graceful', purged: false },
        { name: 'b', status: 'Finished', reason: '', stopped: 'killed', purged: false }
      ])
    )
    const view = await setup(api)
    await view.get('[data-test="teardown-all"]').trigger('click')
    const dialog = view.get('[role="dialog"]')
    expect(dialog.text()).toContain('Tear down all 2 instances?')
    // Focus starts on the safe choice.
    expect(document.activeElement?.textContent?.trim()).toBe('Cancel')
    await dialog.get('[data-test="confirm"]').trigger('click')
    await flushPromises()
    expect(api.instances.teardownAll).toHaveBeenCalledTimes(1)
    expect(api.instances.teardownAll).toHaveBeenCalledWith(undefined)
    expect(api.instances.teardown).not.toHaveBeenCalled()
  })

  it('opens the logs of a row', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha')]))
    const view = await setup(api)
    await row(view, 'alpha').get('[data-test="logs"]').trigger('click')
    await flushPromises()
    expect(useNavStore().route).toEqual({ view: 'logs', instance: 'alpha', stream: 'guest' })
    expect(window.location.hash).toBe('#/logs/alpha/guest')
  })

  it('relaunches a row as a task the tray follows, and turns its relaunch-on-change watch on and off', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha', { watch: { enabled: false } }), instance('old')]))
    const view = await setup(api)
    // Launched by an older version (no saved launch): nothing to relaunch from.
    expect(row(view, 'old').get('[data-test="relaunch"]').attributes('disabled')).toBeDefined()
    expect(row(view, 'old').find('[data-test="watch"]').exists()).toBe(false)

    await row(view, 'alpha').get('[data-test="relaunch"]').trigger('click')
    await flushPromises()
    expect(api.instances.relaunch).toHaveBeenCalledWith({ name: 'alpha' })
    expect(useTasksStore().running.map((t) => t.info)).toEqual([expect.objectContaining({ kind: 'relaunch', target: 'alpha' })])
    // One launch or relaunch at a time.
    expect(row(view, 'alpha').get('[data-test="relaunch"]').attributes('disabled')).toBeDefined()

    await row(view, 'alpha').get('[data-test="watch"]').setValue(true)
    await flushPromises()
    expect(api.instances.watch).toHaveBeenCalledWith({ name: 'alpha', enabled: true })
    expect(row(view, 'alpha').get('[data-test="watch-state"]').text()).toBe('watching')
    await row(view, 'alpha').get('[data-test="watch"]').setValue(false)
    await flushPromises()
    expect(api.instances.watch).toHaveBeenLastCalledWith({ name: 'alpha', enabled: false })
    expect(row(view, 'alpha').find('[data-test="watch-state"]').exists()).toBe(false)
  })

  it('shows a refused relaunch on its row', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha', { watch: { enabled: true, by: 'elsewhere', pid: 4242 } })]))
    vi.mocked(api.instances.relaunch).mockResolvedValue({ ok: false, error: { code: 'SOURCE_NOT_FOUND', message: 'binary: /srv/svc does not exist', details: { field: 'binary' } } })
    const view = await setup(api)
    expect(row(view, 'alpha').get('[data-test="watch-state"]').text()).toBe('Watched by another bpvm process (pid 4242)')
    await row(view, 'alpha').get('[data-test="relaunch"]').trigger('click')
    await flushPromises()
    expect(view.text()).toContain('binary: /srv/svc does not exist')
  })
})
