// @vitest-environment jsdom
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BpvmApi, DoctorReport } from '../../src/shared/api'
import type { Result } from '../../src/shared/result'
import { createAppRouter } from '../../src/renderer/src/router'
import App from '../../src/renderer/src/App.vue'
import HostView from '../../src/renderer/src/views/HostView.vue'

// The renderer reads `window.bpvm`; in jsdom tests the window is the global object.
const page = globalThis as { bpvm?: BpvmApi }

const report: DoctorReport = {
  programs: [
    { program: 'qemu-img', purpose: 'Creates VM disk images', found: true, path: '/usr/bin/qemu-img', version: 'qemu-img version 8.2.2', required: true },
    { program: 'nft', purpose: 'VM network isolation', found: false, required: true, fix: 'sudo apt install nftables' },
    { program: 'cloud-hypervisor', purpose: 'Fast micro-VM monitor', found: false, required: false, fix: 'See cloudhypervisor.org' }
  ],
  host: [
    { id: 'net-admin', label: 'CAP_NET_ADMIN', ok: true, detail: 'this process may create TAP devices and nftables rules' },
    { id: 'ip-forward', label: 'IPv4 forwarding', ok: false, detail: 'net.ipv4.ip_forward = 0', fix: 'bpvm net forwarding --enable' }
  ]
}

type Doctor = BpvmApi['host']['doctor']

/** What the desktop app's preload exposes, as far as the Host view uses it. */
function connect(doctor: Doctor): ReturnType<typeof vi.fn<Doctor>> {
  const spy = vi.fn<Doctor>(doctor)
  page.bpvm = { host: { doctor: spy }, events: { on: () => () => undefined } } as unknown as BpvmApi
  return spy
}

/**
 * The browser's WebSocket, for a page served by `bpvm serve` (no preload): while `serverUp` it
 * opens and answers `host:doctor` with `report`; otherwise every attempt fails.
 */
class FakeSocket {
  static serverUp = false
  static urls: string[] = []
  readyState = 0
  private readonly listeners = new Map<string, ((event: { data?: string }) => void)[]>()

  constructor(url: string) {
    FakeSocket.urls.push(url)
    setTimeout(() => (FakeSocket.serverUp ? this.fire('open') : this.fire('close')), 0)
  }

  addEventListener(type: string, listener: (event: { data?: string }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }

  send(data: string): void {
    const { id, channel } = JSON.parse(data) as { id: number; channel: string }
    const result: Result<unknown> = channel === 'host:doctor' ? { ok: true, value: report } : { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: channel } }
    setTimeout(() => this.fire('message', { data: JSON.stringify({ id, result }) }), 0)
  }

  close(): void {
    this.fire('close')
  }

  private fire(type: string, event: { data?: string } = {}): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event)
  }
}

const mountView = () => mount(HostView, { global: { plugins: [createPinia()] } })

afterEach(() => {
  delete page.bpvm
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('HostView', () => {
  it('lists found and missing programs with their details', async () => {
    const doctor = connect(async () => ({ ok: true, value: report }))
    const view = mountView()
    await flushPromises()

    expect(doctor).toHaveBeenCalledTimes(1)
    expect(view.findAll('[aria-label="Host programs"] tbody tr')).toHaveLength(3)
    expect(view.get('[data-test="summary"]').text()).toContain('1 of 3 programs found')
    expect(view.get('[data-test="summary"]').text()).toContain('1 required missing')

    const qemu = view.get('tr[data-program="qemu-img"]')
    expect(qemu.get('[data-test="status"]').text()).toBe('✓ Found')
    expect(qemu.get('[data-test="status"]').classes()).toContain('badge--found')
    expect(qemu.text()).toContain('qemu-img version 8.2.2')
    expect(qemu.text()).toContain('/usr/bin/qemu-img')
    expect(qemu.text()).toContain('Creates VM disk images')
    expect(qemu.text()).toContain('Required')
    expect(qemu.get('[data-test="fix"]').text()).toBe('—')

    const nft = view.get('tr[data-program="nft"]')
    expect(nft.get('[data-test="status"]').text()).toBe('✗ Missing')
    expect(nft.get('[data-test="status"]').classes()).toContain('badge--missing')
    expect(nft.get('[data-test="fix"]').text()).toBe('sudo apt install nftables')

    const ch = view.get('tr[data-program="cloud-hypervisor"]')
    expect(ch.get('[data-test="status"]').classes()).toContain('badge--optional-missing')
    expect(ch.text()).toContain('Optional')
    expect(view.find('[data-test="not-connected"]').exists()).toBe(false)
  })

  it('shows the networking checks, with the fix only where one is needed', async () => {
    connect(async () => ({ ok: true, value: report }))
    const view = mountView()
    await flushPromises()
    const admin = view.get('[data-check="net-admin"]')
    expect(admin.get('[data-test="check-status"]').text()).toBe('✓ OK')
    expect(admin.find('[data-test="check-fix"]').exists()).toBe(false)
    const forwarding = view.get('[data-check="ip-forward"]')
    expect(forwarding.get('[data-test="check-status"]').classes()).toContain('badge--missing')
    expect(forwarding.text()).toContain('net.ipv4.ip_forward = 0')
    expect(forwarding.get('[data-test="check-fix"]').text()).toBe('bpvm net forwarding --enable')
  })

  it('says the runtime is not connected when neither the desktop app nor a bpvm server answers', async () => {
    vi.useFakeTimers()
    vi.stubGlobal('WebSocket', FakeSocket)
    FakeSocket.serverUp = false
    const view = mountView()
    // Calls wait briefly for the connection before they give up.
    await vi.advanceTimersByTimeAsync(3500)
    await flushPromises()

    // The socket goes back to the server that served the page (jsdom's page is http://localhost:3000/).
    expect(FakeSocket.urls[0]).toBe('ws://localhost:3000/api')
    const notice = view.get('[data-test="not-connected"]')
    expect(notice.attributes('role')).toBe('alert')
    expect(notice.text()).toContain('Runtime not connected')
    expect(view.find('table').exists()).toBe(false)
    expect(view.get('button[aria-label="Refresh host checks"]').attributes('disabled')).toBeDefined()

    // The server comes (back) up: the view asks again by itself.
    FakeSocket.serverUp = true
    await vi.advanceTimersByTimeAsync(6000)
    await flushPromises()
    expect(view.find('[data-test="not-connected"]').exists()).toBe(false)
    expect(view.findAll('[aria-label="Host programs"] tbody tr')).toHaveLength(3)
  })

  it('works over the WebSocket of bpvm serve when opened in a browser', async () => {
    vi.stubGlobal('WebSocket', FakeSocket)
    FakeSocket.serverUp = true
    const view = mountView()
    await vi.waitFor(() => expect(view.findAll('[aria-label="Host programs"] tbody tr')).toHaveLength(3))
    expect(view.get('[data-test="summary"]').text()).toContain('1 of 3 programs found')
  })

  it('shows a loading state, then the report', async () => {
    let answer: (result: Result<DoctorReport>) => void = () => undefined
    connect(() => new Promise((resolve) => (answer = resolve)))
    const view = mountView()
    await flushPromises()

    expect(view.get('[role="status"]').text()).toBe('Checking host programs…')
    expect(view.get('button').attributes('disabled')).toBeDefined()
    answer({ ok: true, value: report })
    await flushPromises()
    expect(view.findAll('[aria-label="Host programs"] tbody tr')).toHaveLength(3)
    expect(view.get('button').attributes('disabled')).toBeUndefined()
  })

  it('shows the error code and message of a failed check', async () => {
    connect(async () => ({ ok: false, error: { code: 'FORBIDDEN_SENDER', message: 'host:doctor: refused' } }))
    const view = mountView()
    await flushPromises()

    const alert = view.get('[data-test="error"]')
    expect(alert.get('.error-code').text()).toBe('FORBIDDEN_SENDER')
    expect(alert.text()).toContain('host:doctor: refused')
    expect(view.find('table').exists()).toBe(false)
  })

  it('reports a rejected IPC call as an error instead of hanging', async () => {
    connect(() => Promise.reject(new Error("No handler registered for 'host:doctor'")))
    const view = mountView()
    await flushPromises()

    expect(view.get('[data-test="error"]').text()).toContain('IPC_FAILED')
    expect(view.get('[data-test="error"]').text()).toContain('No handler registered')
  })

  it('Refresh asks the runtime again and shows the new answer', async () => {
    const doctor = connect(async () => ({ ok: true, value: report }))
    const view = mountView()
    await flushPromises()

    const fixed = { ...report, programs: report.programs.map((p) => ({ ...p, found: true, path: `/usr/bin/${p.program}` })) }
    doctor.mockImplementation(async () => ({ ok: true, value: fixed }))
    await view.get('button[aria-label="Refresh host checks"]').trigger('click')
    await flushPromises()

    expect(doctor).toHaveBeenCalledTimes(2)
    expect(view.get('[data-test="summary"]').text()).toContain('3 of 3 programs found')
    expect(view.get('tr[data-program="nft"] [data-test="status"]').text()).toBe('✓ Found')
  })
})

describe('App', () => {
  it('shows the product title above the Host view', async () => {
    connect(async () => ({ ok: true, value: report }))
    const app = mount(App, { global: { plugins: [createPinia(), createAppRouter()] } })
    await flushPromises()
    expect(app.get('h1').text()).toBe('Blueprint VM Manager')
    expect(app.get('h2').text()).toBe('Host')
  })
})
