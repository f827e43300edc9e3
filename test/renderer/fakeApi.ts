import { vi } from 'vitest'
import type { ApiEventName, ApiEvents, BpvmApi, InstanceSummary, SettingsInfo, TaskInfo } from '../../src/shared/api'
import type { ShellApi } from '../../src/shared/api/shell'
import { ok } from '../../src/shared/result'

/** A `BpvmApi` whose every verb is a `vi.fn` with a plausible default answer, and whose events the test fires. */
export type FakeApi = BpvmApi & {
  shell?: ShellApi
  /** Delivers an event to every listener, as the runtime would. */
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void
  /** How many listeners an event has (to check that views stop listening). */
  listenerCount(event: ApiEventName): number
}

export const defaultSettings = (): SettingsInfo => ({
  app: { defaultVmm: 'auto', defaultImage: 'ubuntu', defaultAccel: 'auto', graceSeconds: 30, logMaxBytes: 16 * 1024 * 1024, onQuit: 'ask', theme: 'system' },
  network: { pool: '172.30.0.0/16' },
  dirs: { state: '/home/u/.local/state/bpvm', data: '/home/u/.local/share/bpvm', cache: '/home/u/.cache/bpvm' }
})

export function instance(name: string, fields: Partial<InstanceSummary> = {}): InstanceSummary {
  return {
    name,
    status: 'Running',
    reason: '',
    since: new Date(Date.now() - 65_000).toISOString(),
    phase: 'running',
    vmm: 'qemu',
    image: 'ubuntu/noble-20260321',
    accel: 'tcg',
    vcpus: 2,
    memoryBytes: 512 * 1024 * 1024,
    storageBytes: 1024 * 1024 * 1024,
    guestAddress: '172.30.0.2',
    hostAddress: '172.30.0.1',
    tap: 'tap-tngl-1',
    createdAt: new Date().toISOString(),
    logsDir: `/state/instances/${name}/logs`,
    forwards: [],
    ...fields
  }
}

export function task(fields: Partial<TaskInfo> = {}): TaskInfo {
  return { id: 'task-1', kind: 'launch', title: 'Launch svc', target: 'svc', state: 'running', startedAt: new Date().toISOString(), ...fields }
}

export function createFakeApi(): FakeApi {
  const listeners = new Map<ApiEventName, Set<(payload: unknown) => void>>()
  let settings = defaultSettings()
  let subscriptions = 0
  const api: FakeApi = {
    instances: {
      launch: vi.fn<BpvmApi['instances']['launch']>(async (request) => ok(task({ target: request.name, title: `Launch ${request.name}` }))),
      list: vi.fn<BpvmApi['instances']['list']>(async () => ok([])),
      get: vi.fn<BpvmApi['instances']['get']>(async ({ name }) => ok(instance(name))),
      teardown: vi.fn<BpvmApi['instances']['teardown']>(async ({ name, purge }) => ok({ name, status: 'Finished', reason: '', stopped: 'graceful', purged: !!purge })),
      teardownAll: vi.fn<BpvmApi['instances']['teardownAll']>(async () => ok([])),
      relaunch: vi.fn<BpvmApi['instances']['relaunch']>(async ({ name }) => ok(task({ kind: 'relaunch', target: name, title: `Relaunch ${name}` }))),
      watch: vi.fn<BpvmApi['instances']['watch']>(async ({ name, enabled }) => ok({ ...instance(name), watch: { enabled, by: 'here', state: enabled ? 'watching' : 'off' } }))
    },
    logs: {
      read: vi.fn<BpvmApi['logs']['read']>(async ({ offset = 0 }) => ok({ data: '', offset, nextOffset: offset, size: offset })),
      subscribe: vi.fn<BpvmApi['logs']['subscribe']>(async ({ offset = 0 }) => ok({ id: `sub-${++subscriptions}`, offset })),
      unsubscribe: vi.fn<BpvmApi['logs']['unsubscribe']>(async ({ id }) => ok({ id }))
    },
    console: {
      attach: vi.fn<BpvmApi['console']['attach']>(async () => ok({ id: `console-${++subscriptions}`, screen: '' })),
      input: vi.fn<BpvmApi['console']['input']>(async ({ id }) => ok({ id })),
      resize: vi.fn<BpvmApi['console']['resize']>(async ({ id }) => ok({ id })),
      detach: vi.fn<BpvmApi['console']['detach']>(async ({ id }) => ok({ id }))
    },
    images: {
      list: vi.fn<BpvmApi['images']['list']>(async () => ok({ cacheDir: '/cache', images: [] })),
      pull: vi.fn<BpvmApi['images']['pull']>(async () => ok(task({ kind: 'image-pull', title: 'Download Ubuntu 24.04' }))),
      buildDev: vi.fn<BpvmApi['images']['buildDev']>(async () => ok(task({ kind: 'image-build-dev', title: 'Build the dev guest' }))),
      buildDebian: vi.fn<BpvmApi['images']['buildDebian']>(async () => ok(task({ kind: 'image-build-debian', title: 'Build the Debian image (bookworm)' }))),
      remove: vi.fn<BpvmApi['images']['remove']>(async ({ name }) => ok({ name, dir: `/cache/${name}`, freedBytes: 0 }))
    },
    host: {
      doctor: vi.fn<BpvmApi['host']['doctor']>(async () => ok({ programs: [], host: [] })),
      interfaces: vi.fn<BpvmApi['host']['interfaces']>(async () =>
        ok([
          { name: 'eth0', addresses: ['192.0.2.10/24'], up: true, defaultRoute: true },
          { name: 'wlan0', addresses: [], up: false, defaultRoute: false }
        ])
      ),
      checkRpc: vi.fn<BpvmApi['host']['checkRpc']>(async ({ httpRpcUrl, wsRpcUrl }) =>
        ok([
          { field: 'env.httpRpcUrl', url: httpRpcUrl, ok: true },
          { field: 'env.wsRpcUrl', url: wsRpcUrl, ok: true }
        ])
      )
    },
    settings: {
      get: vi.fn<BpvmApi['settings']['get']>(async () => ok(settings)),
      update: vi.fn<BpvmApi['settings']['update']>(async (patch) => {
        const network = { ...settings.network, ...patch.network }
        if (network.egressInterface === null) delete network.egressInterface
        settings = { ...settings, app: { ...settings.app, ...patch.app }, network: network as SettingsInfo['network'] }
        return ok(settings)
      })
    },
    tasks: {
      list: vi.fn<BpvmApi['tasks']['list']>(async () => ok([])),
      cancel: vi.fn<BpvmApi['tasks']['cancel']>(async ({ id }) => ok(task({ id, state: 'running' })))
    },
    events: {
      on(event, listener) {
        let set = listeners.get(event)
        if (!set) listeners.set(event, (set = new Set()))
        const relay = listener as (payload: unknown) => void
        set.add(relay)
        return () => void set.delete(relay)
      }
    },
    emit(event, payload) {
      for (const listener of [...(listeners.get(event) ?? [])]) listener(payload)
    },
    listenerCount(event) {
      return listeners.get(event)?.size ?? 0
    }
  }
  return api
}

// The renderer reads `window.bpvm`; in jsdom tests the window is the global object.
const page = globalThis as { bpvm?: FakeApi }

/** Puts `api` where the desktop preload would (`window.bpvm`), which `connectApi` then answers with. */
export function installFakeApi(api: FakeApi = createFakeApi()): FakeApi {
  page.bpvm = api
  return api
}

export function removeFakeApi(): void {
  delete page.bpvm
}
