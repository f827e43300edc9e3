import type { LaunchRequest, RelaunchRequest, TaskInfo } from '../shared/api'
import { BpvmError, toErrorInfo } from '../shared/errors'
import type { ErrorInfo } from '../shared/result'
import { checkLaunchInput, launchInstance } from '../main/runtime/instance/launchInstance'
import { recordLaunchedFiles, requireSavedLaunch, saveLaunch } from '../main/runtime/instance/savedLaunch'
import { checkBinaryComplete, fingerprintServiceFiles } from '../main/runtime/instance/serviceFiles'
import { teardownInstance } from '../main/runtime/instance/teardownInstance'
import { readInstance } from '../main/runtime/instance/instanceRecord'
import { requireInstance } from './instanceSummaries'
import type { TaskControl, TaskRegistry } from './taskRegistry'

export interface LaunchTaskParts {
  tasks: TaskRegistry
  /** The instance list changed (a step was reached, the record rewritten). */
  changed: () => void
  /** The reconcile policy's step before a change. */
  beforeChange: () => Promise<void>
  /** A launch or relaunch saved its request (the relaunch watch looks again). */
  saved?: () => void
}

export interface StartedRelaunch {
  task: TaskInfo
  /** How the task ended: the watch waits for it. */
  ended: Promise<{ ok: boolean; error?: ErrorInfo }>
}

/** Progress that also tells the instance list when a new step is reached (the launch writes the record as it goes). */
function reportingSteps(progress: TaskControl['progress'], changed: () => void): TaskControl['progress'] {
  let step: string | undefined
  return (update) => {
    progress(update)
    if (update.step !== step) changed()
    step = update.step
  }
}

/**
 * A bad value is refused at once, naming its field, before any task exists; the launch itself
 * runs as a task, cancelled (and undone) with `tasks:cancel`. Once up, its request is saved with
 * the instance (with whether to watch its files), for relaunches.
 */
export async function startLaunch(request: LaunchRequest, parts: LaunchTaskParts): Promise<TaskInfo> {
  await checkLaunchInput(request)
  const files = await fingerprintServiceFiles(request.binary, request.keystore)
  await parts.beforeChange()
  const existing = await readInstance(request.name)
  if (existing && existing.phase !== 'stopped') {
    throw new BpvmError('INSTANCE_EXISTS', `name: an instance called ${request.name} exists (${existing.phase}); tear it down first`, { field: 'name' })
  }
  refuseWhileLaunching(parts.tasks, request.name)
  return parts.tasks.start({
    kind: 'launch',
    title: `Launch ${request.name}`,
    target: request.name,
    cancellable: true,
    async run({ signal, progress }) {
      await launchInstance(request, { signal, onProgress: reportingSteps(progress, parts.changed) }).finally(parts.changed)
      await saveLaunch(request.name, { request, watch: request.watch === true, files })
      parts.saved?.()
      parts.changed()
    }
  })
}

/** Refused while a launch or relaunch of the name runs: one at a time. */
export function refuseWhileLaunching(tasks: TaskRegistry, name: string): void {
  const running = tasks.running('launch', name) ?? tasks.running('relaunch', name)
  if (running) throw new BpvmError('INSTANCE_EXISTS', `name: ${running.title} is running; wait for it or cancel it first`, { field: 'name' })
}

/**
 * Relaunch: the saved launch is checked first (the binary complete, every file in place), so
 * nothing is stopped for files that cannot launch; then one task stops the VM gracefully (power
 * button, then the grace period) and launches the same request again, disks kept. A failed
 * launch leaves the instance stopped with its error, as any launch does.
 */
export async function startRelaunch({ name, graceSeconds }: RelaunchRequest, parts: LaunchTaskParts): Promise<StartedRelaunch> {
  await requireInstance(name)
  const saved = await requireSavedLaunch(name)
  const files = await fingerprintServiceFiles(saved.request.binary, saved.request.keystore)
  await checkLaunchInput(saved.request)
  await checkBinaryComplete(saved.request.binary)
  await parts.beforeChange()
  refuseWhileLaunching(parts.tasks, name)
  let settle: (end: { ok: boolean; error?: ErrorInfo }) => void = () => undefined
  const ended = new Promise<{ ok: boolean; error?: ErrorInfo }>((resolve) => (settle = resolve))
  const task = parts.tasks.start({
    kind: 'relaunch',
    title: `Relaunch ${name}`,
    target: name,
    cancellable: true,
    async run({ signal, progress }) {
      try {
        progress({ step: 'stop', message: `stopping ${name}: the power button, then ${graceSeconds === undefined ? 'the grace period' : `up to ${graceSeconds} s`}` })
        const stopped = await teardownInstance(name, graceSeconds === undefined ? {} : { graceMs: graceSeconds * 1000 })
        parts.changed()
        progress({ step: 'stop', message: `${name} stopped (${stopped.stopped}); launching it again` })
        await launchInstance(saved.request, { signal, onProgress: reportingSteps(progress, parts.changed) }).finally(parts.changed)
        await recordLaunchedFiles(name, files)
        parts.saved?.()
        parts.changed()
        settle({ ok: true })
      } catch (error) {
        settle({ ok: false, error: toErrorInfo(error) })
        throw error
      }
    }
  })
  return { task, ended }
}
