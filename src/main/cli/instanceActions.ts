import { parseCount, parseSize } from '../../shared/sizes'
import { BpvmError, invalidInput } from '../../shared/errors'
import { launchRequestSchema, MAX_GRACE_SECONDS, type InstanceSummary, type LaunchRequest, type TeardownResult } from '../../shared/api/instances'
import { API, invalidArgument } from '../../shared/api'
import type { TaskInfo } from '../../shared/api/tasks'
import type { LaunchSpec } from '../runtime/instance/launchSpec'
import type { ReconcileReport } from '../runtime/instance/reconcile'
import type { AccelSetting } from '../runtime/vmm/qemu/qemuHost'
import type { LogStream, WholeLog } from '../../service/local/instanceLogOperations'
import { callService, runTask } from './inProcessService'
import type { TaskProgress } from './launchProgressPrinter'
import type { LaunchOptions } from './instanceCommands'
import { serviceParts } from './serviceDiskRequest'

/** Counts follow the rule sizes do (parseCount); an option not given stays undefined. */
const wholeNumber = (text: string | undefined, field: string): number | undefined => (text === undefined ? undefined : parseCount(text, field))

export async function reconcileNow(): Promise<ReconcileReport> {
  return (await import('../../service/local/reconcileOperation')).reconcile()
}

/**
 * `instances:launch` through the service, followed as the app follows it: each step printed,
 * Ctrl-C cancelling the task (which undoes what it made). The service checks the input before
 * it reconciles or makes anything, naming fields by request path (mapped to the options typed
 * at this edge). Answers the ended task, as the API's `tasks:progress` last reports it.
 */
export async function launch(options: LaunchOptions, progress: (p: TaskProgress) => void): Promise<TaskInfo> {
  if (options.watch && options.json) throw invalidInput('--watch', 'stays in the foreground to print what it does; it cannot be combined with --json')
  const spec = launchSpecOf(options)
  const interrupt = cancelOnInterrupt('launch')
  const request = { ...launchRequestOf(spec), ...(options.watch ? { watch: true } : {}) }
  const task = await runTask((service) => service.call('instances:launch', request), { onProgress: progress, cancel: interrupt.signal }).finally(() => interrupt.dispose())
  if (options.watch) await (await import('./watchInForeground')).watchInForeground(spec.name, { followLog: !options.detach })
  else if (!options.detach && !options.json) await followUntilStopped(spec.name, 'guest')
  return task
}

/** `instances:relaunch` through the service, followed like a launch: its steps printed, Ctrl-C cancelling it. */
export async function relaunch(name: string, options: { timeout?: string }, progress: (p: TaskProgress) => void): Promise<TaskInfo> {
  const seconds = wholeNumber(options.timeout, '--timeout')
  const interrupt = cancelOnInterrupt('relaunch')
  return runTask((service) => service.call('instances:relaunch', { name, ...(seconds === undefined ? {} : { graceSeconds: seconds }) }), { onProgress: progress, cancel: interrupt.signal }).finally(() => interrupt.dispose())
}

/** The API's request for a checked spec, through the contract's own schema (ids travel as text: a bigint has no JSON form). */
function launchRequestOf(spec: LaunchSpec): LaunchRequest {
  const id = (value: string | number | bigint): string | number => (typeof value === 'bigint' ? value.toString() : value)
  const parsed = launchRequestSchema.safeParse({ ...spec, env: { ...spec.env, blueprintId: id(spec.env.blueprintId), serviceId: id(spec.env.serviceId) } })
  if (parsed.success) return parsed.data
  const info = invalidArgument(API.instances.launch.name, parsed.error)
  throw new BpvmError(info.code, info.message, info.details)
}

function launchSpecOf(options: LaunchOptions): LaunchSpec {
  const parts = serviceParts(options)
  const memoryBytes = options.memory === undefined ? undefined : parseSize(options.memory, '--memory')
  const storageBytes = options.storage === undefined ? undefined : parseSize(options.storage, '--storage')
  const vcpus = wholeNumber(options.cpus, '--cpus')
  const grace = wholeNumber(options.grace, '--grace')
  return {
    name: options.name, ...parts,
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(storageBytes === undefined ? {} : { storageBytes }),
    ...(vcpus === undefined ? {} : { vcpus }),
    ...(grace === undefined ? {} : { guestGraceSeconds: grace }),
    ...(options.vmm === undefined ? {} : { vmm: options.vmm }),
    ...(options.image === undefined ? {} : { image: options.image }),
    ...(options.accel === undefined ? {} : { accel: options.accel as AccelSetting }),
    ...(options.docker ? { docker: true } : {}),
    ...(options.bridge === undefined ? {} : { bridge: options.bridge }),
    ...(options.forward?.length ? { forward: options.forward } : {}),
    // commander's --no-rpc-check sets rpcCheck to false.
    ...(options.rpcCheck === false ? { rpcCheck: false } : {})
  }
}

/**
 * Ctrl-C (or SIGTERM, as from `timeout` or a service manager) during a launch cancels it, and the
 * launch undoes what it made; a second signal exits at once.
 */
function cancelOnInterrupt(what: 'launch' | 'relaunch'): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const onSignal = (name: 'SIGINT' | 'SIGTERM'): void => {
    if (controller.signal.aborted) process.exit(name === 'SIGINT' ? 130 : 143)
    const again = name === 'SIGINT' ? 'Ctrl-C' : 'a second SIGTERM'
    process.stderr.write(`bpvm: cancelling the ${what} (${again} quits at once; \`bpvm reconcile\` cleans up after that)\n`)
    controller.abort()
  }
  const onInterrupt = (): void => onSignal('SIGINT')
  const onTerminate = (): void => onSignal('SIGTERM')
  process.on('SIGINT', onInterrupt)
  process.on('SIGTERM', onTerminate)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onInterrupt)
      process.off('SIGTERM', onTerminate)
    }
  }
}

/**
 * `instances:list`, answered by the service as for the app and `bpvm serve`. Read-only: a VMM
 * that died shows as ended here; the next command that changes things (or the app) gives its
 * network back.
 */
export async function list(): Promise<InstanceSummary[]> {
  return callService('instances:list', undefined)
}

/** `instances:get`: one instance, or INSTANCE_NOT_FOUND. */
export async function show(name: string): Promise<InstanceSummary> {
  return callService('instances:get', { name })
}

/**
 * `instances:teardown` for one instance, `instances:teardownAll` with `--all`, answered by the
 * service (after the reconcile every changing command starts with): exactly what the API answers.
 */
export async function down(name: string | undefined, options: { all?: boolean; force?: boolean; timeout?: string; purge?: boolean }): Promise<TeardownResult | TeardownResult[]> {
  if (name === undefined && !options.all) throw invalidInput('name', 'name an instance, or pass --all')
  if (name !== undefined && options.all) throw invalidInput('name', 'give a name or --all, not both')
  const seconds = wholeNumber(options.timeout, '--timeout')
  if (seconds !== undefined && seconds > MAX_GRACE_SECONDS) throw invalidInput('--timeout', `must be at most ${MAX_GRACE_SECONDS} seconds`)
  const request = { ...(options.force ? { force: true } : {}), ...(options.purge ? { purge: true } : {}), ...(seconds === undefined ? {} : { graceSeconds: seconds }) }
  // The service reconciles first (its policy for a short-lived host), then tears down.
  return name !== undefined ? callService('instances:teardown', { name, ...request }) : callService('instances:teardownAll', request)
}

/** One of an instance's logs: printed whole (or followed with `follow`), or returned for --json. */
export async function logs(name: string, options: { follow?: boolean; stream?: string; json?: boolean }): Promise<WholeLog | undefined> {
  const { LOG_STREAMS, logStreamSchema, readWholeLog } = await import('../../service/local/instanceLogOperations')
  const stream = logStreamSchema.safeParse(options.stream ?? 'guest')
  if (!stream.success) throw invalidInput('--stream', `must be one of ${LOG_STREAMS.join(', ')}`)
  if (options.follow && !options.json) {
    await followUntilStopped(name, stream.data)
    return undefined
  }
  const log = await readWholeLog(name, stream.data)
  if (options.json) return log
  process.stdout.write(log.text)
  return undefined
}

/** Copies a log to stdout from its start until the VMM exits; Ctrl-C stops following, not the VM. */
async function followUntilStopped(name: string, stream: LogStream): Promise<void> {
  const { followInstanceLog } = await import('../../service/local/instanceLogOperations')
  const stop = new AbortController()
  const onInterrupt = (): void => stop.abort()
  process.once('SIGINT', onInterrupt)
  try {
    await followInstanceLog(name, stream, (chunk) => void process.stdout.write(chunk), stop.signal)
  } finally {
    process.off('SIGINT', onInterrupt)
  }
}
