import { API, type LaunchRequest, type TaskInfo, type TeardownAllRequest } from '../shared/api'
import { BpvmError } from '../shared/errors'
import { checkInstanceName, listInstances, readInstance } from '../main/runtime/instance/instanceRecord'
import { checkLaunchInput, launchInstance } from '../main/runtime/instance/launchInstance'
import { teardownInstance, type TeardownOptions } from '../main/runtime/instance/teardownInstance'
import { handle, type HandlerEntry } from './channelHandler'
import { instanceSummary, listInstanceSummaries, requireInstance } from './instanceSummaries'
import type { InstanceWatcher } from './instanceWatcher'
import type { TaskRegistry } from './taskRegistry'

export function instanceHandlers(tasks: TaskRegistry, watcher: InstanceWatcher, beforeChange: () => Promise<void>): HandlerEntry[] {
  const changed = (): void => void watcher.refresh()
  return [
    handle(API.instances.launch, (request) => startLaunch(request, tasks, changed, beforeChange)),
    handle(API.instances.list, () => listInstanceSummaries()),
    handle(API.instances.get, async ({ name }) => instanceSummary(await requireInstance(name))),
    handle(API.instances.teardown, async ({ name, ...options }) => {
      checkInstanceName(name)
      await beforeChange()
      return teardownInstance(name, teardownOptions(options)).finally(changed)
    }),
    handle(API.instances.teardownAll, async (options) => {
      await beforeChange()
      const names = (await listInstances()).map((record) => record.name)
      return Promise.all(names.map((name) => teardownInstance(name, teardownOptions(options)))).finally(changed)
    })
  ]
}

function teardownOptions(options: TeardownAllRequest = {}): TeardownOptions {
  return { force: options.force, purge: options.purge, graceMs: options.graceSeconds === undefined ? undefined : options.graceSeconds * 1000 }
}

/**
 * A bad value is refused at once, naming its field, before any task exists; the launch itself
 * runs as a task, cancelled (and undone) with `tasks:cancel`. The instance list is looked at
 * again at every step, since the launch writes the record as it goes.
 */
async function startLaunch(request: LaunchRequest, tasks: TaskRegistry, changed: () => void, beforeChange: () => Promise<void>): Promise<TaskInfo> {
  await checkLaunchInput(request)
  await beforeChange()
  const existing = await readInstance(request.name)
  if (tasks.running('launch', request.name) || (existing && existing.phase !== 'stopped')) {
    throw new BpvmError('INSTANCE_EXISTS', `name: an instance called ${request.name} exists (${existing?.phase ?? 'launching'}); tear it down first`, { field: 'name' })
  }
  return tasks.start({
    kind: 'launch',
    title: `Launch ${request.name}`,
    target: request.name,
    cancellable: true,
    async run({ signal, progress }) {
      let step: string | undefined
      const onProgress: typeof progress = (update) => {
        progress(update)
        if (update.step !== step) changed()
        step = update.step
      }
      await launchInstance(request, { signal, onProgress }).finally(changed)
    }
  })
}
