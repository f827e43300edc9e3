import { API } from '../shared/api'
import { handle, type HandlerEntry } from './channelHandler'
import type { TaskRegistry } from './taskRegistry'

export function taskHandlers(tasks: TaskRegistry): HandlerEntry[] {
  return [handle(API.tasks.list, async () => tasks.list()), handle(API.tasks.cancel, async ({ id }) => tasks.cancel(id))]
}
