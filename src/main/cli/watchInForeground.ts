import type { InstanceSummary, LogChunkEvent, TaskInfo } from '../../shared/api'
import { escapeControls } from '../../shared/terminalText'
import { createRuntimeService } from '../../service/runtimeService'
import { launchProgressPrinter } from './launchProgressPrinter'

const say = (line: string): void => void process.stderr.write(`bpvm: ${escapeControls(line)}\n`)

/**
 * `bpvm launch --watch`, once the launch is up: this process watches the instance's binary and
 * keystore (the service's relaunch watch, for this instance only) and stays in the foreground,
 * printing the guest log as it grows (unless `detach`), each relaunch's steps and how it ended,
 * and what the watch waits for. Ctrl-C turns the watch off and says whether the VM keeps running.
 */
export async function watchInForeground(name: string, { followLog }: { followLog: boolean }): Promise<void> {
  // A process that stays: it tends the records as the app does (dead VMs noticed), rather than reconciling before each relaunch.
  const service = createRuntimeService({ reconcile: 'watch', watchFiles: { only: name } })
  const printStep = launchProgressPrinter()
  let subscription: string | undefined
  let lastState: string | undefined
  const stop = service.onEvent((event, payload) => {
    if (event === 'tasks:progress') onTask(payload as TaskInfo)
    else if (event === 'instances:changed') onList(payload as InstanceSummary[])
    else if (event === 'logs:chunk') onChunk(payload as LogChunkEvent)
  })
  function onTask(task: TaskInfo): void {
    if (task.kind !== 'relaunch' || task.target !== name) return
    if (task.state === 'running') printStep(task)
    else if (task.state === 'succeeded') say(`relaunched ${name} in ${((Date.parse(task.endedAt ?? '') - Date.parse(task.startedAt)) / 1000).toFixed(1)} s; still watching`)
    else say(`the relaunch of ${name} ${task.state}: ${task.error?.message ?? ''}; still watching`)
  }
  function onList(list: InstanceSummary[]): void {
    const watch = list.find((i) => i.name === name)?.watch
    const state = watch?.by === 'elsewhere' ? `another bpvm process (pid ${watch.pid}) watches ${name}; this one takes over when it stops` : watch?.state
    if (state === undefined || state === lastState || state === 'relaunching') return
    lastState = state
    say(`watch: ${state}`)
  }
  function onChunk(chunk: LogChunkEvent): void {
    if (chunk.subscription !== subscription) return
    if (chunk.reset) say(`── ${name} booted again: its guest log starts over ──`)
    process.stdout.write(chunk.data)
  }
  try {
    if (followLog) {
      const subscribed = await service.call('logs:subscribe', { name, stream: 'guest', offset: 0 })
      if (subscribed.ok) subscription = subscribed.value.id
    }
    say(`watching ${name}'s binary and keystore: a rewrite relaunches it (Ctrl-C stops watching)`)
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
    await service.call('instances:watch', { name, enabled: false })
    const now = await service.call('instances:get', { name })
    const running = now.ok && now.value.phase !== 'stopped'
    say(running ? `stopped watching ${name}; it keeps running (\`bpvm down ${name}\` stops it)` : `stopped watching ${name}; it is not running (${now.ok ? now.value.status : 'gone'})`)
  } finally {
    stop()
    await service.close()
  }
}
