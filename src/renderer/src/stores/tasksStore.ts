import { defineStore } from 'pinia'
import { computed, markRaw, ref } from 'vue'
import type { TaskInfo } from '../../../shared/api/tasks'
import type { ErrorInfo } from '../../../shared/result'
import { call, listen } from './apiAccess'
import { useStatusStore } from './statusStore'
import { TransferRate } from './transferRate'

/** A task as the tray shows it: the runtime's report plus the pace measured here. */
export interface TrackedTask {
  info: TaskInfo
  /** Bytes per second, from successive reports. */
  speed?: number
  /** Seconds left at that pace. */
  eta?: number
  cancelling: boolean
  cancelError?: ErrorInfo
}

/** Every long operation (launches, image downloads), wherever it was started. */
export const useTasksStore = defineStore('tasks', () => {
  const status = useStatusStore()
  const tasks = ref<Record<string, TrackedTask>>({})
  /** Ids in the order they first appeared. */
  const order = ref<string[]>([])
  const rates = markRaw(new Map<string, TransferRate>())

  function track(info: TaskInfo): void {
    const known = tasks.value[info.id]
    if (!known) order.value.push(info.id)
    let rate = rates.get(info.id)
    if (!rate) rates.set(info.id, (rate = new TransferRate()))
    if (info.bytes !== undefined) rate.sample(Date.now(), info.bytes)
    const running = info.state === 'running'
    tasks.value[info.id] = {
      info,
      speed: running ? rate.bytesPerSecond : undefined,
      eta: running ? rate.secondsLeft(info.totalBytes) : undefined,
      cancelling: running && (known?.cancelling ?? false),
      cancelError: known?.cancelError
    }
    if (known && known.info.state === 'running' && !running) {
      rates.delete(info.id)
      status.announce(`${info.title}: ${info.state}${info.error ? ` (${info.error.message})` : ''}.`)
    }
  }

  listen('tasks:progress', track)

  async function load(): Promise<void> {
    const result = await call((api) => api.tasks.list())
    if (result.ok) for (const info of result.value) if (!tasks.value[info.id] || info.state !== 'running') track(info)
  }

  async function cancel(id: string): Promise<void> {
    const task = tasks.value[id]
    if (!task) return
    task.cancelling = true
    task.cancelError = undefined
    const result = await call((api) => api.tasks.cancel({ id }))
    const current = tasks.value[id]
    if (!current) return
    if (result.ok) track(result.value)
    else Object.assign(current, { cancelling: false, cancelError: result.error })
  }

  /** Takes an ended task off the tray. */
  function dismiss(id: string): void {
    delete tasks.value[id]
    order.value = order.value.filter((other) => other !== id)
  }

  const all = computed(() => order.value.flatMap((id) => tasks.value[id] ?? []))
  const running = computed(() => all.value.filter((t) => t.info.state === 'running'))

  return { tasks, order, all, running, track, load, cancel, dismiss }
})
