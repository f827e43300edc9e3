import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { ApiBackend } from '../../src/service/apiBackend'
import { createBackendProcess, nodeWorkerSpawner, type WorkerChild } from '../../src/main/worker/backendProcess'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import type { InstanceSummary, LogSubscription, TaskInfo } from '../../src/shared/api'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { recordEvents } from './serviceHome'
import { callLoosely } from '../support/looseBackend'

const SERVICE = `#!/bin/sh
echo "svc: hello from the service"
trap 'echo "svc: SIGINT"; exit 0' INT
while :; do sleep 1; done
`

const MiB = 2 ** 20

describeAsRoot('launch through the runtime worker (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod'], 'the API end to end', () => {
    const { home, host, expectNothingLeft, expectNetworkClean } = useLifecycleHost('backend')
    // Registered after the host's hooks, so it runs before them: workers stop while their namespace exists.
    const backends: ApiBackend[] = []
    afterEach(async () => {
      await Promise.all(backends.splice(0).map((backend) => backend.close()))
    })

    /**
     * A supervised worker running inside `ns`, with a handle on each child it started; once it is
     * ready (a loaded host may take longer than a call's wait to load a worker from source).
     */
    async function workerIn(ns: string) {
      const spawnInNs = nodeWorkerSpawner({ wrapper: ['ip', 'netns', 'exec', ns], env: { BPVM_HOME: home } })
      const children: WorkerChild[] = []
      const backend = createBackendProcess(() => children[children.push(spawnInNs()) - 1]!, { restartDelayMs: 100 })
      backends.push(backend)
      const value = async <T>(channel: string, request?: unknown): Promise<T> => {
        const result = await callLoosely(backend, channel, request)
        if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`)
        return result.value as T
      }
      const events = recordEvents(backend)
      await events.waitFor('backend:status', (status) => status.state === 'ready', 120_000)
      return { backend, children, events, value }
    }

    it('launches as a task, shows it Running, survives a worker crash, streams its log and tears it down leaving nothing', async () => {
      const { ns, work } = await host(SERVICE)
      const { children, events, value } = await workerIn(ns)

      const task = await value<TaskInfo>('instances:launch', launchRequest(work, 'svc'))
      expect(task).toMatchObject({ kind: 'launch', target: 'svc', title: 'Launch svc', state: 'running' })
      const ended = await events.waitFor('tasks:progress', (t) => t.id === task.id && t.state !== 'running', 120_000)
      expect(ended).toMatchObject({ state: 'succeeded', step: 'running' })
      const steps = [...new Set(events.of('tasks:progress').filter((e) => e.payload.id === task.id).map((e) => e.payload.step))]
      expect(steps).toEqual([undefined, 'check', 'image', 'lease', 'disks', 'tap', 'bridge', 'vmm', 'rules', 'running'])
      const running = (list: InstanceSummary[]): boolean => list.some((i) => i.name === 'svc' && i.status === 'Running')
      const shown = await events.waitFor('instances:changed', running, 90_000)
      expect(shown.find((i) => i.name === 'svc')).toMatchObject({ phase: 'running', vmm: 'qemu', guestAddress: '172.30.0.2', memoryBytes: 256 * MiB, logsDir: join(home, 'state', 'instances', 'svc', 'logs') })

      // The worker dies; the VM does not. The new worker finds it running.
      const record = JSON.parse(await readFile(join(home, 'state', 'instances', 'svc', 'instance.json'), 'utf8'))
      children[0]!.kill()
      await events.waitFor('backend:status', (s) => s.state === 'ready' && s.restarts === 1, 120_000)
      expect(await isProcessAlive(record.process)).toBe(true)
      expect(await value<InstanceSummary>('instances:get', { name: 'svc' })).toMatchObject({ status: 'Running' })

      const subscription = await value<LogSubscription>('logs:subscribe', { name: 'svc', stream: 'guest', offset: 0 })
      const followed = (): string => events.of('logs:chunk').filter((e) => e.payload.subscription === subscription.id).map((e) => e.payload.data).join('')
      await until(() => followed().includes('svc: hello from the service'), 30_000)

      expect(await value('instances:teardown', { name: 'svc', graceSeconds: 30 })).toMatchObject({ name: 'svc', status: 'Finished', stopped: 'graceful' })
      await until(() => followed().includes('svc: SIGINT'), 10_000)
      await events.waitFor('instances:changed', (list) => list.some((i) => i.name === 'svc' && i.status === 'Finished'), 10_000)
      await expectNothingLeft(ns, 'svc')
    })

    it('notices a VMM that died within seconds and gives its network back, with no call made', async () => {
      const { ns, work } = await host(SERVICE)
      const { events, value } = await workerIn(ns)
      const task = await value<TaskInfo>('instances:launch', launchRequest(work, 'dies'))
      expect(await events.waitFor('tasks:progress', (t) => t.id === task.id && t.state !== 'running', 120_000)).toMatchObject({ state: 'succeeded' })
      await events.waitFor('instances:changed', (list) => list.some((i) => i.name === 'dies' && i.status === 'Running'), 90_000)
      const record = JSON.parse(await readFile(join(home, 'state', 'instances', 'dies', 'instance.json'), 'utf8'))
      process.kill(record.process.pid, 'SIGKILL')
      // The watch looks every 2 s; a generous bound, since this machine may be busy.
      const ended = await waitForFile(join(home, 'state', 'instances', 'dies', 'instance.json'), (r) => r.phase === 'stopped', 15_000)
      expect(ended).toMatchObject({ phase: 'stopped', outcome: { status: 'Error', reason: 'the VMM exited while the service was running' } })
      await expectNetworkClean(ns)
      expect(await readFile(join(home, 'state', 'instances', 'dies', 'logs', 'launch.log'), 'utf8')).toContain('reconcile: Error: the VMM exited while the service was running')
      await events.waitFor('instances:changed', (list) => list.some((i) => i.name === 'dies' && i.status === 'Error' && i.phase === 'stopped'), 10_000)
    })

    it('undoes a launch cancelled half-way', async () => {
      const { ns, work } = await host(SERVICE)
      const { events, value } = await workerIn(ns)
      const task = await value<TaskInfo>('instances:launch', launchRequest(work, 'halfway'))
      // The lease and the record exist by now; the TAP is next.
      await events.waitFor('tasks:progress', (t) => t.id === task.id && t.step === 'disks', 60_000)
      expect(await value('tasks:cancel', { id: task.id })).toMatchObject({ state: 'running', message: expect.stringContaining('cancelling') })
      const ended = await events.waitFor('tasks:progress', (t) => t.id === task.id && t.state !== 'running', 60_000)
      expect(ended).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } })
      await expectNetworkClean(ns)
      expect(await value('instances:get', { name: 'halfway' })).toMatchObject({ status: 'Error', reason: expect.stringContaining('cancelled') })
    })
  })
})

function launchRequest(work: string, name: string) {
  return {
    name, binary: join(work, 'service.sh'), keystore: join(work, 'keystore'),
    env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 2, protocol: 'tangle' },
    args: {}, vmm: 'qemu', image: 'dev', accel: 'tcg', memoryBytes: 256 * MiB, storageBytes: 256 * MiB,
    // No node runs here.
    rpcCheck: false
  }
}

async function until(test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function waitForFile(file: string, test: (value: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    if (test(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
