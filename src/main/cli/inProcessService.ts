import type { ChannelName, ChannelRequest, ChannelResponse, TaskInfo } from '../../shared/api'
import { BpvmError } from '../../shared/errors'
import type { Result } from '../../shared/result'
import type { ApiBackend } from '../../service/apiBackend'
import { createRuntimeService } from '../../service/runtimeService'

/**
 * The CLI's door to the runtime: the same service the app and `bpvm serve` run, in this
 * process, with the reconcile policy of a short-lived host (before each change). Answers carry
 * exactly the API's response types; a failure comes back as the BpvmError the service reported,
 * for the CLI's usual error line and envelope.
 */
async function withService<T>(work: (service: ApiBackend) => Promise<T>): Promise<T> {
  const service = createRuntimeService({ reconcile: 'before-changes' })
  try {
    return await work(service)
  } finally {
    await service.close()
  }
}

function valueOf<T>(result: Result<T>): T {
  if (!result.ok) throw new BpvmError(result.error.code, result.error.message, result.error.details)
  return result.value
}

export function callService<C extends ChannelName>(channel: C, request: ChannelRequest<C>): Promise<ChannelResponse<C>> {
  return withService(async (service) => valueOf(await service.call(channel, request)))
}

export interface TaskFollowing {
  /** Each update of the task while it runs. */
  onProgress(task: TaskInfo): void
  /** Cancels the task through the service (`tasks:cancel`), which undoes what it made. */
  cancel: AbortSignal
}

/**
 * Starts a task (a launch) and follows it to its end, as the app does: its progress events,
 * and `tasks:cancel` when `cancel` fires. Answers the ended task; one that failed or was
 * cancelled is thrown as its error.
 */
export function runTask(start: (service: ApiBackend) => Promise<Result<TaskInfo>>, following: TaskFollowing): Promise<TaskInfo> {
  return withService(async (service) => {
    const seen = new Map<string, TaskInfo>()
    let id: string | undefined
    let finish: ((task: TaskInfo) => void) | undefined
    const ended = new Promise<TaskInfo>((resolve) => (finish = resolve))
    const update = (task: TaskInfo): void => {
      if (task.state !== 'running') finish?.(task)
      else following.onProgress(task)
    }
    // Progress may arrive before the call that started the task has answered: kept until its id is known.
    const stop = service.onEvent((event, payload) => {
      if (event !== 'tasks:progress') return
      const task = payload as TaskInfo
      if (id === undefined) seen.set(task.id, task)
      else if (task.id === id) update(task)
    })
    try {
      const started = valueOf(await start(service))
      id = started.id
      for (const task of [started, ...seen.values()].filter((t) => t.id === id)) update(task)
      const onCancel = (): void => void service.call('tasks:cancel', { id: started.id })
      following.cancel.addEventListener('abort', onCancel, { once: true })
      if (following.cancel.aborted) onCancel()
      const task = await ended
      following.cancel.removeEventListener('abort', onCancel)
      if (task.state !== 'succeeded') throw new BpvmError(task.error?.code ?? 'INTERNAL', task.error?.message ?? `${task.title} ${task.state}`, task.error?.details)
      return task
    } finally {
      stop()
    }
  })
}
