import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { InstanceSummary, TeardownRequest, TeardownResult } from '../../../shared/api/instances'
import type { ErrorInfo, Result } from '../../../shared/result'
import { call, listen } from './apiAccess'
import { useStatusStore } from './statusStore'
import { useTasksStore } from './tasksStore'

/** What the UI is doing to an instance until the runtime answers or reports the change. */
export type PendingAction = 'stopping' | 'deleting'

/** The instances, kept current by `instances:changed`, and what is being done to them. */
export const useInstancesStore = defineStore('instances', () => {
  const status = useStatusStore()
  const list = ref<InstanceSummary[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const error = ref<ErrorInfo | null>(null)
  const pending = ref<Record<string, PendingAction>>({})
  /** The last failed action on each instance. */
  const actionErrors = ref<Record<string, ErrorInfo>>({})

  const byName = computed(() => new Map(list.value.map((i) => [i.name, i])))

  /** Announces status changes, then takes the new list as it is. */
  function apply(next: InstanceSummary[]): void {
    const before = byName.value
    for (const instance of next) {
      const old = before.get(instance.name)
      if (loaded.value && old?.status !== instance.status) status.announce(`${instance.name} is ${instance.status}.`)
    }
    for (const name of before.keys()) {
      if (loaded.value && !next.some((i) => i.name === name)) status.announce(`${name} was deleted.`)
    }
    list.value = next
    loaded.value = true
    // An instance that has stopped (or is gone) is no longer "Stopping…".
    const names = new Map(next.map((i) => [i.name, i]))
    for (const [name, action] of Object.entries(pending.value)) {
      const instance = names.get(name)
      if (!instance || (action === 'stopping' && instance.phase === 'stopped')) delete pending.value[name]
    }
  }

  async function load(): Promise<void> {
    loading.value = true
    const result = await call((api) => api.instances.list())
    loading.value = false
    if (result.ok) {
      error.value = null
      apply(result.value)
    } else {
      error.value = result.error
    }
  }

  listen('instances:changed', apply)

  function settle(name: string, result: Result<unknown>): void {
    delete pending.value[name]
    if (result.ok) delete actionErrors.value[name]
    else actionErrors.value[name] = result.error
  }

  async function teardown(request: TeardownRequest, action: PendingAction): Promise<Result<TeardownResult>> {
    pending.value[request.name] = action
    delete actionErrors.value[request.name]
    const result = await call((api) => api.instances.teardown(request))
    settle(request.name, result)
    if (result.ok && result.value.purged) list.value = list.value.filter((i) => i.name !== request.name)
    return result
  }

  /** Power button, then the grace period; `force` kills at once. */
  const stop = (name: string, force = false) => teardown(force ? { name, force } : { name }, 'stopping')

  /** Stops it; `purge` also deletes its disks, logs and record. */
  const remove = (name: string, purge: boolean) => teardown({ name, purge }, purge ? 'deleting' : 'stopping')

  const stopMany = (names: string[]) => Promise.all(names.map((name) => stop(name)))
  const removeMany = (names: string[], purge: boolean) => Promise.all(names.map((name) => remove(name, purge)))

  /** Everything at once, as `instances:teardownAll` does it. */
  async function teardownAll(purge: boolean): Promise<Result<TeardownResult[]>> {
    const names = list.value.map((i) => i.name)
    for (const name of names) pending.value[name] = purge ? 'deleting' : 'stopping'
    const result = await call((api) => api.instances.teardownAll(purge ? { purge } : undefined))
    for (const name of names) settle(name, result)
    if (result.ok) {
      const purged = new Set(result.value.filter((r) => r.purged).map((r) => r.name))
      list.value = list.value.filter((i) => !purged.has(i.name))
    } else {
      error.value = result.error
    }
    return result
  }

  /**
   * Stops it gracefully and launches it again as it was launched, with the files as they are
   * now: a task the tray follows. A refusal (the binary gone, a launch running) stays on its row.
   */
  async function relaunch(name: string): Promise<void> {
    delete actionErrors.value[name]
    const result = await call((api) => api.instances.relaunch({ name }))
    if (result.ok) useTasksStore().track(result.value)
    else actionErrors.value[name] = result.error
  }

  /** Turns relaunch-on-change on or off; the answer is the instance as it now is. */
  async function setWatch(name: string, enabled: boolean): Promise<void> {
    const result = await call((api) => api.instances.watch({ name, enabled }))
    if (result.ok) list.value = list.value.map((i) => (i.name === name ? result.value : i))
    else actionErrors.value[name] = result.error
  }

  return { list, loaded, loading, error, pending, actionErrors, byName, load, stop, remove, stopMany, removeMany, teardownAll, relaunch, setWatch }
})
