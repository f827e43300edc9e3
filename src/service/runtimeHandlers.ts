import { CHANNELS } from '../shared/api'
import type { Handler } from './channelHandler'
import { consoleHandlers } from './consoleHandlers'
import type { ConsoleSessions } from './consoleSessions'
import { hostHandlers } from './hostHandlers'
import { imageHandlers } from './imageHandlers'
import { instanceHandlers } from './instanceHandlers'
import type { InstanceWatcher } from './instanceWatcher'
import { logHandlers } from './logHandlers'
import type { LogSubscriptions } from './logSubscriptions'
import { settingsHandlers } from './settingsHandlers'
import { taskHandlers } from './taskHandlers'
import type { LaunchTaskParts } from './launchTasks'
import type { RelaunchWatch } from './relaunchWatch'

/**
 * What the handlers share: the running tasks and what a launch tells (the same parts the relaunch
 * watch launches with), the instance list's watcher, the log followers and console sessions.
 */
export interface ServiceParts extends LaunchTaskParts {
  watcher: InstanceWatcher
  logs: LogSubscriptions
  /** This process's relaunch-on-change watch, when it runs one. */
  files?: RelaunchWatch
  consoles: ConsoleSessions
}

/** Every channel's implementation, by channel name; each domain registers its own. */
export function runtimeHandlers(parts: ServiceParts): ReadonlyMap<string, Handler> {
  return new Map([
    ...instanceHandlers(parts),
    ...logHandlers(parts.logs),
    ...consoleHandlers(parts.consoles),
    ...imageHandlers(parts.tasks),
    ...hostHandlers(),
    ...settingsHandlers(),
    ...taskHandlers(parts.tasks)
  ])
}

/** Channels of the contract without a handler, and handlers for channels the contract does not have. */
export function handlerGaps(handlers: ReadonlyMap<string, Handler>): { missing: string[]; unknown: string[] } {
  return {
    missing: [...CHANNELS.keys()].filter((name) => !handlers.has(name)),
    unknown: [...handlers.keys()].filter((name) => !CHANNELS.has(name))
  }
}
