// @vitest-environment jsdom
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fail, ok } from '../../src/shared/result'
import LaunchView from '../../src/renderer/src/views/LaunchView.vue'
import { useNavStore } from '../../src/renderer/src/stores/navStore'
import { createFakeApi, removeFakeApi, task, type FakeApi } from './fakeApi'
import { freshApp, mountWith } from './harness'

let view: VueWrapper | undefined
afterEach(() => {
  view?.unmount()
  view = undefined
  removeFakeApi()
})

async function setup(api: FakeApi = createFakeApi()) {
  const pinia = freshApp(api)
  view = mountWith(LaunchView, pinia)
  await flushPromises()
  return { api, view, pinia }
}

const launchButton = (w: VueWrapper) => w.get('[data-test="launch"]')
const fieldError = (w: VueWrapper, field: string) => w.get(`[data-field-error="launch-${field}"]`).text()

async function fillValid(w: VueWrapper): Promise<void> {
  await w.get('#launch-name').setValue('svc')
  await w.get('#launch-binary').setValue('/opt/blueprints/svc')
  await w.get('#launch-blueprintId').setValue('7')
  await w.get('#launch-serviceId').setValue('0')
}

describe('Launch view', () => {
  it('pre-fills the reference environment for a local node', async () => {
    const { view } = await setup()
    expect((view.get('#launch-httpRpcUrl').element as HTMLInputElement).value).toBe('http://127.0.0.1:9944')
    expect((view.get('#launch-wsRpcUrl').element as HTMLInputElement).value).toBe('ws://127.0.0.1:9944')
    expect((view.get('#launch-protocol').element as HTMLInputElement).value).toBe('tangle')
    expect(view.get('label[for="launch-httpRpcUrl"]').text()).toContain('HTTP_RPC_URL')
  })

  it('keeps Launch disabled while the form is invalid, and says why on the field once it is left', async () => {
    const { view } = await setup()
    expect(launchButton(view).attributes('disabled')).toBeDefined()
    // Nothing is shouted at a user who has not typed yet.
    expect(fieldError(view, 'name')).toBe('')

    await view.get('#launch-name').setValue('Bad Name')
    await view.get('#launch-name').trigger('blur')
    expect(fieldError(view, 'name')).toContain('must be 1–32 characters')
    expect(view.get('#launch-name').attributes('aria-invalid')).toBe('true')

    await fillValid(view)
    expect(launchButton(view).attributes('disabled')).toBeUndefined()
    expect(fieldError(view, 'name')).toBe('')

    await view.get('#launch-httpRpcUrl').setValue('not a url')
    await view.get('#launch-httpRpcUrl').trigger('blur')
    expect(fieldError(view, 'httpRpcUrl')).toBe('must be an http:// or https:// URL')
    expect(launchButton(view).attributes('disabled')).toBeDefined()
    expect(view.get('[data-test="launch-state"]').text()).toBe('1 field needs attention')
  })

  it('checks free environment variable names and numbers client-side', async () => {
    const { view } = await setup()
    await fillValid(view)
    await view.get('[data-rows="extraEnv"] button:last-of-type').trigger('click')
    await view.get('input[aria-label="Variable name 1"]').setValue('1BAD')
    expect(view.get('[data-rows="extraEnv"] .kv-error').text()).toContain('is not a variable name')
    expect(launchButton(view).attributes('disabled')).toBeDefined()
    await view.get('input[aria-label="Variable name 1"]').setValue('RUST_LOG')
    expect(launchButton(view).attributes('disabled')).toBeUndefined()

    await view.get('#launch-memoryMiB').setValue('64')
    await view.get('#launch-memoryMiB').trigger('blur')
    expect(fieldError(view, 'memoryMiB')).toBe('must be from 128 to 1048576 MiB')
    expect(launchButton(view).attributes('disabled')).toBeDefined()
  })

  it('sends the request the form stands for', async () => {
    const { view, api } = await setup()
    await fillValid(view)
    await view.get('[data-rows="extraEnv"] button:last-of-type').trigger('click')
    await view.get('input[aria-label="Variable name 1"]').setValue('RUST_LOG')
    await view.get('input[aria-label="Variable value 1"]').setValue('debug')
    await view.get('#launch-memoryMiB').setValue('1024')
    await view.get('#launch-bootnodes').setValue('/ip4/1.2.3.4/tcp/30333\n\n/ip4/5.6.7.8/tcp/30333')
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(api.instances.launch).toHaveBeenCalledWith({
      name: 'svc',
      binary: '/opt/blueprints/svc',
      env: {
        httpRpcUrl: 'http://127.0.0.1:9944',
        wsRpcUrl: 'ws://127.0.0.1:9944',
        blueprintId: '7',
        serviceId: '0',
        protocol: 'tangle',
        bootnodes: ['/ip4/1.2.3.4/tcp/30333', '/ip4/5.6.7.8/tcp/30333'],
        extraEnv: [['RUST_LOG', 'debug']]
      },
      args: { testMode: false, pretty: false, verbosity: 0, dryRun: false },
      memoryBytes: 1024 * 1024 * 1024,
      vcpus: 1,
      storageBytes: 1024 * 1024 * 1024
    })
  })

  it('offers the Debian image and Docker, which the dev guest cannot have', async () => {
    const { view, api } = await setup()
    await fillValid(view)
    expect(view.findAll('#launch-image option').map((o) => o.attributes('value'))).toEqual(['', 'ubuntu', 'debian', 'dev', 'custom'])
    await view.get('#launch-image').setValue('dev')
    await view.get('[data-field="docker"]').setValue(true)
    expect(fieldError(view, 'docker')).toContain('the dev guest has no package manager')
    expect(launchButton(view).attributes('disabled')).toBeDefined()
    await view.get('#launch-image').setValue('debian')
    expect(fieldError(view, 'docker')).toBe('')
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(api.instances.launch).toHaveBeenCalledWith(expect.objectContaining({ name: 'svc', image: 'debian', docker: true }))
    expect(vi.mocked(api.instances.launch).mock.calls[0]![0].watch).toBeUndefined()
  })

  it('asks for relaunch on change when its box is ticked', async () => {
    const { view, api } = await setup()
    await fillValid(view)
    await view.get('[data-field="watch"]').setValue(true)
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(api.instances.launch).toHaveBeenCalledWith(expect.objectContaining({ name: 'svc', watch: true }))
  })

  it('chooses how the service reaches its bridge, the relay with any image', async () => {
    const { view, api } = await setup()
    await fillValid(view)
    expect(view.findAll('#launch-bridge option').map((o) => o.attributes('value'))).toEqual(['auto', 'vsock', 'relay'])
    await view.get('#launch-image').setValue('dev')
    await view.get('#launch-bridge').setValue('relay')
    expect(fieldError(view, 'bridge')).toBe('')
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(api.instances.launch).toHaveBeenCalledWith(expect.objectContaining({ name: 'svc', image: 'dev', bridge: 'relay' }))
  })

  it('checks the RPC URLs live, and launches past a failed check only when told to', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    try {
      const api = createFakeApi()
      vi.mocked(api.host.checkRpc).mockImplementation(async ({ httpRpcUrl, wsRpcUrl }) =>
        ok([
          { field: 'env.httpRpcUrl', url: httpRpcUrl, ok: httpRpcUrl.endsWith(':8545'), ...(httpRpcUrl.endsWith(':8545') ? {} : { problem: 'connection refused' }) },
          { field: 'env.wsRpcUrl', url: wsRpcUrl, ok: true }
        ])
      )
      const { view } = await setup(api)
      await vi.advanceTimersByTimeAsync(500)
      await flushPromises()
      expect(api.host.checkRpc).toHaveBeenCalledWith({ httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944' })
      const http = (): string => view.get('[data-test="rpc-check-env.httpRpcUrl"]').text()
      expect(http()).toContain('nothing answers at http://127.0.0.1:9944 (connection refused): is your local testnet running?')
      expect(view.get('[data-test="rpc-check-env.wsRpcUrl"]').text()).toContain('ws://127.0.0.1:9944 answers')

      await view.get('#launch-httpRpcUrl').setValue('http://127.0.0.1:8545')
      await vi.advanceTimersByTimeAsync(500)
      await flushPromises()
      expect(http()).toContain('http://127.0.0.1:8545 answers')

      await fillValid(view)
      await view.get('#launch-forward').setValue('http://127.0.0.1:9000\n7000')
      await view.get('[data-test="skip-rpc-check"]').setValue(true)
      await view.get('form').trigger('submit')
      await flushPromises()
      expect(api.instances.launch).toHaveBeenCalledWith(expect.objectContaining({ forward: ['http://127.0.0.1:9000', '7000'], rpcCheck: false }))
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses a forward that is neither a port nor a loopback URL, on its field', async () => {
    const { view } = await setup()
    await fillValid(view)
    await view.get('#launch-forward').setValue('http://192.0.2.1:9000')
    await view.get('#launch-forward').trigger('blur')
    expect(fieldError(view, 'forward')).toContain("neither a port nor a URL on this host's loopback")
    expect(launchButton(view).attributes('disabled')).toBeDefined()
  })

  it('puts schema problems from the API on the fields they name', async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.launch).mockResolvedValue(
      fail({
        code: 'INVALID_ARGUMENT',
        message: 'instances:launch: env.httpRpcUrl: Invalid input',
        details: { channel: 'instances:launch', problems: [{ field: 'env.httpRpcUrl', message: 'Invalid input' }, { field: 'vcpus', message: 'Too small' }] }
      })
    )
    const { view } = await setup(api)
    await fillValid(view)
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(fieldError(view, 'httpRpcUrl')).toBe('Invalid input')
    expect(fieldError(view, 'vcpus')).toBe('Too small')
    expect(view.find('[data-test="error"]').exists()).toBe(false)
    // Editing the field takes the runtime's complaint away.
    await view.get('#launch-vcpus').setValue('2')
    expect(fieldError(view, 'vcpus')).toBe('')
  })

  it("puts the runtime's `field: message` on its field, from the answer or from the failed task", async () => {
    const api = createFakeApi()
    vi.mocked(api.instances.launch).mockResolvedValueOnce(
      fail({ code: 'INVALID_INPUT', message: 'env.blueprintId: must be a whole number from 0 to 18446744073709551615', details: { field: 'env.blueprintId' } })
    )
    const { view } = await setup(api)
    await fillValid(view)
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(fieldError(view, 'blueprintId')).toBe('must be a whole number from 0 to 18446744073709551615')

    vi.mocked(api.instances.launch).mockResolvedValueOnce({ ok: true, value: task({ id: 't2', target: 'svc' }) })
    await view.get('#launch-blueprintId').setValue('8')
    await view.get('form').trigger('submit')
    await flushPromises()
    api.emit('tasks:progress', task({ id: 't2', state: 'failed', step: 'check', error: { code: 'INSTANCE_EXISTS', message: 'name: an instance called svc exists (running); tear it down first', details: { field: 'name' } } }))
    await flushPromises()
    expect(fieldError(view, 'name')).toBe('an instance called svc exists (running); tear it down first')
  })

  it('shows a host problem with its code and a way to the Host view', async () => {
    const { view, api } = await setup()
    await fillValid(view)
    await view.get('form').trigger('submit')
    await flushPromises()
    api.emit('tasks:progress', task({ state: 'failed', step: 'check', error: { code: 'NET_ADMIN_REQUIRED', message: 'networking needs the CAP_NET_ADMIN capability' } }))
    await flushPromises()
    const error = view.get('[data-test="error"]')
    expect(error.get('.error-code').text()).toBe('NET_ADMIN_REQUIRED')
    expect(error.text()).toContain('Copy details')
    await view.get('[data-test="to-host"]').trigger('click')
    await flushPromises()
    expect(useNavStore().route.view).toBe('host')
  })

  it('shows progress by step, can cancel, and opens the logs when the launch succeeds', async () => {
    const { view, api } = await setup()
    useNavStore().go({ view: 'launch' })
    await fillValid(view)
    await view.get('form').trigger('submit')
    await flushPromises()
    expect(launchButton(view).text()).toBe('Launching…')

    api.emit('tasks:progress', task({ step: 'image', message: 'downloading', bytes: 1024 * 1024, totalBytes: 10 * 1024 * 1024, percent: 10 }))
    await flushPromises()
    const progress = view.get('[data-test="launch-progress"]')
    expect(progress.get('[data-step="check"]').classes()).toContain('step--done')
    expect(progress.get('[data-step="image"]').attributes('aria-current')).toBe('step')
    expect(progress.get('[data-test="task-bytes"]').text()).toBe('1.0 MiB of 10 MiB')
    expect(progress.get('[data-test="task-percent"]').text()).toBe('10%')

    await progress.get('[data-test="cancel-task"]').trigger('click')
    await flushPromises()
    expect(api.tasks.cancel).toHaveBeenCalledWith({ id: 'task-1' })

    api.emit('tasks:progress', task({ state: 'succeeded', step: 'running' }))
    await flushPromises()
    expect(useNavStore().route).toEqual({ view: 'logs', instance: 'svc', stream: 'guest' })
  })

  it('offers the desktop file dialogs for the binary and keystore, and plain path fields in a browser', async () => {
    const api = createFakeApi()
    const { view: browser } = await setup(api)
    expect(browser.find('button[aria-label="Choose the blueprint binary"]').exists()).toBe(false)
    expect(browser.text()).toContain('A path on the machine that runs bpvm.')
    browser.unmount()

    api.shell = {
      pickBinary: vi.fn(async () => ok('/home/u/svc')),
      pickKeystore: vi.fn(async () => ok(null)),
      openLogFolder: vi.fn(async ({ name }) => ok({ path: `/logs/${name}` })),
      info: vi.fn(async () => ok({ transport: 'electron' as const, version: '0.1.0' }))
    }
    const { view: desktop } = await setup(api)
    await desktop.get('button[aria-label="Choose the blueprint binary"]').trigger('click')
    await flushPromises()
    expect((desktop.get('#launch-binary').element as HTMLInputElement).value).toBe('/home/u/svc')
    await desktop.get('#launch-keystore').setValue('/kept')
    await desktop.get('button[aria-label="Choose the keystore directory"]').trigger('click')
    await flushPromises()
    // Cancelling the dialog leaves the field as it was.
    expect((desktop.get('#launch-keystore').element as HTMLInputElement).value).toBe('/kept')
  })

  it('keeps what was typed when the user goes elsewhere and comes back', async () => {
    const { view: first, pinia } = await setup()
    await first.get('#launch-name').setValue('kept')
    first.unmount()
    view = undefined
    const again = mountWith(LaunchView, pinia)
    expect((again.get('#launch-name').element as HTMLInputElement).value).toBe('kept')
    again.unmount()
  })
})
