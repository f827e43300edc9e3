import { API, type TeardownAllRequest } from '../shared/api'
import { checkInstanceName, listInstances } from '../main/runtime/instance/instanceRecord'
import { setWatch } from '../main/runtime/instance/savedLaunch'
import { teardownInstance, type TeardownOptions } from '../main/runtime/instance/teardownInstance'
import { handle, type HandlerEntry } from './channelHandler'
import { instanceSummary, listInstanceSummaries, requireInstance } from './instanceSummaries'
import type { InstanceWatcher } from './instanceWatcher'
import { startLaunch, startRelaunch, type LaunchTaskParts } from './launchTasks'
import type { RelaunchWatch } from './relaunchWatch'

export interface InstanceHandlerParts extends LaunchTaskParts {
  watcher: InstanceWatcher
  /** This process's relaunch-on-change watch, when it runs one. */
  files?: RelaunchWatch
}

export function instanceHandlers(parts: InstanceHandlerParts): HandlerEntry[] {
  const { watcher, beforeChange } = parts
  const changed = (): void => void watcher.refresh()
  const summaryOf = async (name: string) => instanceSummary(await requireInstance(name), parts.files)
  return [
    handle(API.instances.launch, (request) => startLaunch(request, parts)),
    handle(API.instances.list, () => listInstanceSummaries(parts.files)),
    handle(API.instances.get, ({ name }) => summaryOf(name)),
    handle(API.instances.teardown, async ({ name, ...options }) => {
      checkInstanceName(name)
      await beforeChange()
      return teardownInstance(name, teardownOptions(options)).finally(changed)
    }),
    handle(API.instances.teardownAll, async (options) => {
      await beforeChange()
      const names = (await listInstances()).map((record) => record.name)
      return Promise.all(names.map((name) => teardownInstance(name, teardownOptions(options)))).finally(changed)
    }),
    handle(API.instances.relaunch, async (request) => (await startRelaunch(request, parts)).task),
    handle(API.instances.watch, async ({ name, enabled }) => {
      await requireInstance(name)
      await setWatch(name, enabled)
      parts.files?.refresh()
      changed()
      return summaryOf(name)
    })
  ]
}

function teardownOptions(options: TeardownAllRequest = {}): TeardownOptions {
  return { force: options.force, purge: options.purge, graceMs: options.graceSeconds === undefined ? undefined : options.graceSeconds * 1000 }
}
