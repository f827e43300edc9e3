import { randomUUID } from 'node:crypto'
import type { TaskInfo, TaskKind, TaskState } from '../shared/api'
import type { ErrorInfo } from '../shared/result'
import { BpvmError, toErrorInfo } from '../shared/errors'

/** Where a task is now; each report replaces the previous one. */
export interface TaskProgress {
  step?: string
  message?: string
  bytes?: number
  totalBytes?: number
  percent?: number
}

export interface TaskControl {
  /** Aborted by `tasks:cancel`; the work stops and undoes what it made. */
  signal: AbortSignal
  progress(update: TaskProgress): void
}

export interface TaskSpec {
  kind: TaskKind
  title: string
  target: string
  /** False for work that cannot stop half-way: cancelling it is refused rather than pretended. */
  cancellable: boolean
  run(control: TaskControl): Promise<void>
}

export interface TaskRegistryOptions {
  /** Every change of every task, as the task now is. */
  onChange(task: TaskInfo): void
  /** How many ended tasks `list` keeps; default 50. */
  keepEnded?: number
  /** Byte progress within one step is reported at most this often per task; default 100 ms. */
  byteIntervalMs?: number
}

export interface TaskRegistry {
  /** Starts the work and answers at once with the task, running. */
  start(spec: TaskSpec): TaskInfo
  /** Running tasks and the most recent ended ones, oldest first. */
  list(): TaskInfo[]
  /** The running task of this kind (on this target), if there is one. */
  running(kind: TaskKind, target?: string): TaskInfo | undefined
  /** Asks a running task to stop; an ended one is answered as it is. */
  cancel(id: string): TaskInfo
  /** Cancels every running task and waits, at most `timeoutMs`, for them to undo their work. */
  close(timeoutMs: number): Promise<void>
}

interface Entry {
  info: TaskInfo
  controller: AbortController
  cancellable: boolean
  done: Promise<void>
  lastSent: number
  trailing?: NodeJS.Timeout
}

const PROGRESS_FIELDS = ['step', 'message', 'bytes', 'totalBytes', 'percent'] as const

export function createTaskRegistry(options: TaskRegistryOptions): TaskRegistry {
  const { onChange, keepEnded = 50, byteIntervalMs = 100 } = options
  const entries = new Map<string, Entry>()
  const copy = (info: TaskInfo): TaskInfo => ({ ...info })

  function send(entry: Entry): void {
    clearTimeout(entry.trailing)
    entry.trailing = undefined
    entry.lastSent = Date.now()
    onChange(copy(entry.info))
  }

  function report(entry: Entry, update: TaskProgress): void {
    if (entry.info.state !== 'running') return
    const sameStep = update.step === entry.info.step
    const base: TaskInfo = { ...entry.info }
    for (const field of PROGRESS_FIELDS) delete base[field]
    entry.info = { ...base, ...definedFields(update) }
    // Bytes of one download arrive many times a second: the latest is sent at most every interval.
    const wait = entry.lastSent + byteIntervalMs - Date.now()
    if (update.bytes === undefined || !sameStep || wait <= 0) return send(entry)
    entry.trailing ??= setTimeout(() => send(entry), wait)
  }

  function end(entry: Entry, state: TaskState, error?: ErrorInfo): void {
    entry.info = { ...entry.info, state, endedAt: new Date().toISOString(), ...(error ? { error } : {}) }
    send(entry)
    const ended = [...entries.values()].filter((e) => e.info.state !== 'running')
    for (const old of ended.slice(0, Math.max(0, ended.length - keepEnded))) entries.delete(old.info.id)
  }

  function find(id: string): Entry {
    const entry = entries.get(id)
    if (!entry) throw new BpvmError('TASK_NOT_FOUND', `no task ${id} (ended tasks are kept for a while only)`, { id })
    return entry
  }

  return {
    start(spec) {
      const controller = new AbortController()
      const info: TaskInfo = { id: randomUUID(), kind: spec.kind, title: spec.title, target: spec.target, state: 'running', startedAt: new Date().toISOString() }
      const entry: Entry = { info, controller, cancellable: spec.cancellable, done: Promise.resolve(), lastSent: 0 }
      entries.set(info.id, entry)
      send(entry)
      const control: TaskControl = { signal: controller.signal, progress: (update) => report(entry, update) }
      entry.done = runNow(spec, control).then(
        () => end(entry, 'succeeded'),
        (error: unknown) => end(entry, controller.signal.aborted ? 'cancelled' : 'failed', toErrorInfo(error))
      )
      return copy(info)
    },
    list: () => [...entries.values()].map((e) => copy(e.info)),
    running: (kind, target) =>
      [...entries.values()].map((e) => e.info).find((t) => t.state === 'running' && t.kind === kind && (target === undefined || t.target === target)),
    cancel(id) {
      const entry = find(id)
      if (entry.info.state !== 'running' || entry.controller.signal.aborted) return copy(entry.info)
      if (!entry.cancellable) throw new BpvmError('TASK_NOT_CANCELLABLE', `${entry.info.title} cannot be stopped half-way; it ends on its own`, { id })
      entry.controller.abort()
      report(entry, { ...(entry.info.step === undefined ? {} : { step: entry.info.step }), message: 'cancelling: undoing what was done' })
      return copy(entry.info)
    },
    async close(timeoutMs) {
      const running = [...entries.values()].filter((e) => e.info.state === 'running')
      for (const entry of running) if (entry.cancellable) entry.controller.abort()
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
      await Promise.race([Promise.all(running.map((e) => e.done)), timeout])
      clearTimeout(timer)
      for (const entry of entries.values()) clearTimeout(entry.trailing)
    }
  }
}

/** Started at once, so a cancel that comes right after `start` finds the work listening. */
function runNow(spec: TaskSpec, control: TaskControl): Promise<void> {
  try {
    return spec.run(control)
  } catch (error) {
    return Promise.reject(error)
  }
}

function definedFields(update: TaskProgress): TaskProgress {
  return Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined)) as TaskProgress
}
