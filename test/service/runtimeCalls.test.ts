import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiBackend } from '../../src/service/apiBackend'
import { createRuntimeService } from '../../src/service/runtimeService'
import { writeInstance } from '../../src/main/runtime/instance/instanceRecord'
import type { DoctorReport, ImageList, NetworkInterfaceInfo, SettingsInfo } from '../../src/shared/api'
import { useServiceHome } from './serviceHome'
import { callLoosely } from '../support/looseBackend'

const LAUNCH = {
  name: 'svc', binary: '/bin/true', args: {},
  env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 2, protocol: 'tangle' },
  // No node runs here.
  rpcCheck: false
}

describe('the runtime service, in this process, without VMs', () => {
  const home = useServiceHome('calls')
  let service: ApiBackend
  beforeAll(() => {
    service = createRuntimeService({ reconcile: 'off' })
  })
  afterAll(() => service.close())

  const value = async <T>(channel: string, request?: unknown): Promise<T> => {
    const result = await callLoosely(service, channel, request)
    if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`)
    return result.value as T
  }

  it('reads the settings with their defaults and where bpvm keeps its files', async () => {
    expect(await value<SettingsInfo>('settings:get')).toEqual({
      app: { defaultVmm: 'auto', defaultImage: 'ubuntu', defaultAccel: 'auto', graceSeconds: 30, logMaxBytes: 16 * 2 ** 20, onQuit: 'ask', theme: 'system' },
      network: { pool: '172.30.0.0/16' },
      dirs: { state: join(home, 'state'), data: join(home, 'data'), cache: join(home, 'cache') }
    })
  })

  it('saves settings that a later service reads back, and saves nothing when any value is refused', async () => {
    const updated = await value<SettingsInfo>('settings:update', { app: { graceSeconds: 5, theme: 'dark' }, network: { pool: '10.99.0.0/24', egressInterface: 'lo' } })
    expect(updated).toMatchObject({ app: { graceSeconds: 5, theme: 'dark', onQuit: 'ask' }, network: { pool: '10.99.0.0/24', egressInterface: 'lo' } })
    const another = createRuntimeService({ reconcile: 'off' })
    expect(await another.call('settings:get', undefined)).toMatchObject({ ok: true, value: { app: updated.app, network: updated.network } })
    await another.close()

    const before = await Promise.all(['settings.json', 'network.json'].map((file) => readFile(join(home, 'state', file), 'utf8')))
    // The general settings are checked by the request's schema (every problem named by its path);
    // the network values by the runtime, against the host (its one field named).
    const refusals: Array<[unknown, string, string]> = [
      [{ app: { graceSeconds: 99_999 }, network: { pool: '10.98.0.0/24' } }, 'app.graceSeconds', 'INVALID_ARGUMENT'],
      [{ app: { theme: 'light' }, network: { pool: '10.98.0.1/24' } }, 'network.pool', 'INVALID_INPUT'],
      [{ app: { theme: 'light' }, network: { egressInterface: 'nosuch0' } }, 'network.egressInterface', 'INVALID_INPUT']
    ]
    for (const [patch, field, code] of refusals) {
      const refused = await callLoosely(service, 'settings:update', patch)
      const error = refused.ok ? undefined : refused.error
      expect(error?.code).toBe(code)
      const named = code === 'INVALID_ARGUMENT' ? (error?.details?.problems as Array<{ field: string }>)[0]?.field : error?.details?.field
      expect(named).toBe(field)
      expect(error?.message).toContain(`${field}: `)
    }
    const after = await Promise.all(['settings.json', 'network.json'].map((file) => readFile(join(home, 'state', file), 'utf8')))
    expect(after).toEqual(before)
    // `null` goes back to the default route's interface.
    expect(await value<SettingsInfo>('settings:update', { network: { egressInterface: null } })).toMatchObject({ network: { pool: '10.99.0.0/24' } })
    expect((await value<SettingsInfo>('settings:get')).network).toEqual({ pool: '10.99.0.0/24' })
  })

  it('lists the image cache, an interrupted image too, and removes it', async () => {
    expect(await value<ImageList>('images:list')).toEqual({ cacheDir: join(home, 'cache'), images: [] })
    const partial = join(home, 'cache', 'images', 'dev', 'halfbuilt')
    await mkdir(partial, { recursive: true })
    await writeFile(join(partial, 'vmlinuz'), 'kernel')
    expect(await value<ImageList>('images:list')).toMatchObject({
      images: [{ name: 'dev/halfbuilt', kind: 'dev', dir: partial, sizeBytes: 6, ready: false, detail: expect.stringContaining('incomplete') }]
    })
    expect(await value('images:remove', { name: 'dev/halfbuilt' })).toEqual({ name: 'dev/halfbuilt', dir: partial, freedBytes: 6 })
    expect((await value<ImageList>('images:list')).images).toEqual([])
    expect(await service.call('images:remove', { name: '../../etc' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: 'name' } } })
  })

  it('has no instances and no tasks, and says so for a name it does not know', async () => {
    expect(await value('instances:list')).toEqual([])
    expect(await value('instances:teardownAll')).toEqual([])
    expect(await value('tasks:list')).toEqual([])
    expect(await service.call('tasks:cancel', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'TASK_NOT_FOUND' } })
    expect(await service.call('instances:get', { name: 'ghost' })).toMatchObject({ ok: false, error: { code: 'INSTANCE_NOT_FOUND' } })
    expect(await service.call('instances:teardown', { name: 'ghost' })).toMatchObject({ ok: false, error: { code: 'INSTANCE_NOT_FOUND' } })
    expect(await service.call('logs:read', { name: 'ghost', stream: 'guest' })).toMatchObject({ ok: false, error: { code: 'INSTANCE_NOT_FOUND' } })
    // A name the schema lets through but the runtime refuses: it never becomes a path.
    expect(await service.call('logs:read', { name: '../calls-home', stream: 'guest' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: 'name' } } })
  })

  it('refuses a launch with a bad value, or of a name in use, at once and without starting a task', async () => {
    const launch = (request: object) => service.call('instances:launch', { ...LAUNCH, ...request })
    expect(await launch({ memoryBytes: 1024 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: 'memoryBytes' } } })
    const now = new Date().toISOString()
    await writeInstance({
      version: 1, name: 'taken', vmm: 'qemu', image: 'dev', accel: 'tcg', limits: { memoryBytes: 256 * 2 ** 20, vcpus: 1, storageBytes: 256 * 2 ** 20 },
      net: { id: 1, tap: 'tap-tngl-1', subnet: '172.30.0.0/30', hostAddress: '172.30.0.1', guestAddress: '172.30.0.2', prefix: 30, egress: 'eth0' },
      phase: 'running', createdAt: now, updatedAt: now
    })
    expect(await launch({ name: 'taken' })).toMatchObject({ ok: false, error: { code: 'INSTANCE_EXISTS', details: { field: 'name' } } })
    expect(await value('tasks:list')).toEqual([])
    // The record as the UI sees it, its status derived now.
    const summary = { name: 'taken', status: 'NotStarted', reason: 'no VMM started yet', phase: 'running', tap: 'tap-tngl-1', guestAddress: '172.30.0.2', logsDir: join(home, 'state', 'instances', 'taken', 'logs') }
    expect(await value('instances:list')).toEqual([expect.objectContaining(summary)])
    expect(await value('instances:get', { name: 'taken' })).toMatchObject(summary)
  })

  it('checks the host: the programs it needs and its interfaces', async () => {
    const doctor = await value<DoctorReport>('host:doctor')
    expect(doctor.programs.find((p) => p.program === 'ip')).toMatchObject({ found: true, required: true })
    expect(doctor.host.length).toBeGreaterThan(0)
    const interfaces = await value<NetworkInterfaceInfo[]>('host:interfaces')
    expect(interfaces).toContainEqual({ name: 'lo', addresses: ['127.0.0.1/8'], up: true, defaultRoute: false })
    expect(interfaces.filter((i) => i.defaultRoute).length).toBeLessThanOrEqual(1)
  })
})
