import { spawn, type ChildProcess } from 'node:child_process'
import { open } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { BpvmError } from '../../../shared/errors'
import { isProcessAlive, processStartTime, type ProcessIdentity } from '../state/processIdentity'
import { clearStaleSocket } from './staleSocket'
import { stderrTail } from './stderrTail'

/** How to start one VMM process and tell when it is ready for requests. */
export interface VmmLaunch {
  program: string
  args: string[]
  /** Variables added to this process's environment for the child. */
  env?: Record<string, string>
  /** The VMM's own stdout and stderr, appended to per-instance files. */
  stdoutPath: string
  stderrPath: string
  /** The control socket the VMM creates; a stale one is removed first, a live one is an error. None for a process without one. */
  socketPath?: string
  /** The child's working directory; this process's when unset. */
  cwd?: string
  /** True once the VMM answers on its socket (a ping, a QMP greeting). */
  isReady: () => Promise<boolean>
  readyTimeoutMs?: number
}

/**
 * How long a process that lives beside a VM (its bridge, console hub, vsock daemon or listener)
 * may take to get ready while it is alive. One that exits is seen at once, so this bounds only a
 * live but slow start: with ten VMs booting under TCG on two CPUs, a Node helper took more than
 * 15 s to answer on its socket, and failing the launch then gains the user nothing.
 */
export const HELPER_READY_TIMEOUT_MS = 60_000

export interface VmmExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * One running VMM (or another process that lives with a VM: its bridge, its vsock daemon),
 * started in a session of its own so it outlives the app; the child is
 * reaped by this process while it lives, and found again by pid and start time after a restart.
 */
export class VmmProcess {
  private constructor(
    readonly identity: Required<ProcessIdentity>,
    /**
     * Settles when the process has exited and been reaped. For observers: it does not keep
     * this process alive; a caller that waits on the exit uses `waitForExit()`.
     */
    readonly exited: Promise<VmmExit>,
    private readonly child: ChildProcess
  ) {}

  static async start(launch: VmmLaunch): Promise<VmmProcess> {
    if (launch.socketPath !== undefined) await clearStaleSocket(launch.socketPath)
    const [stdout, stderr] = await Promise.all([open(launch.stdoutPath, 'a', 0o600), open(launch.stderrPath, 'a', 0o600)])
    let child: ChildProcess
    let exited: Promise<VmmExit>
    let spawning: Promise<Error | undefined>
    try {
      child = spawn(launch.program, launch.args, { detached: true, stdio: ['ignore', stdout.fd, stderr.fd], ...(launch.cwd ? { cwd: launch.cwd } : {}), ...(launch.env ? { env: { ...process.env, ...launch.env } } : {}) })
      // 'spawn' and 'error' fire on the next tick: listen before awaiting anything, or they are
      // missed (a hang) and an unheard 'error' (ENOENT) crashes the whole process.
      exited = new Promise<VmmExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
      spawning = new Promise<Error | undefined>((resolve) => {
        child.once('spawn', () => resolve(undefined))
        child.once('error', resolve)
      })
    } finally {
      // The child holds its own copies of the descriptors.
      await Promise.all([stdout.close(), stderr.close()])
    }
    const spawned = await spawning
    if (spawned) {
      const code = (spawned as NodeJS.ErrnoException).code
      throw code === 'ENOENT'
        ? new BpvmError('PROGRAM_NOT_FOUND', `${launch.program} is not installed or not on PATH`, { program: launch.program })
        : new BpvmError('VMM_SPAWN_FAILED', `could not start ${launch.program}: ${spawned.message}`, { program: launch.program })
    }
    // The app may quit while the VM runs; the VMM must not keep it alive, nor die with it.
    child.unref()
    const pid = child.pid as number
    const vmm = new VmmProcess({ pid, startTime: (await processStartTime(pid)) ?? '' }, exited, child)
    await vmm.waitUntilReady(launch)
    return vmm
  }

  /** Polls the VMM's socket until it answers, watching for an early exit at the same time. */
  private async waitUntilReady(launch: VmmLaunch): Promise<void> {
    const timeoutMs = launch.readyTimeoutMs ?? 10_000
    const deadline = Date.now() + timeoutMs
    let exit: VmmExit | undefined
    void this.exited.then((e) => (exit = e))
    for (;;) {
      if (exit) {
        const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`
        throw new BpvmError('VMM_EXITED', `${launch.program} ${how} before it was ready${await stderrTail(launch.stderrPath)}`, {
          program: launch.program,
          ...exit
        })
      }
      if (await launch.isReady().catch(() => false)) return
      if (Date.now() >= deadline) {
        await this.kill()
        throw new BpvmError('VMM_START_TIMEOUT', `${launch.program} did not ${launch.socketPath === undefined ? 'get ready' : `answer on ${launch.socketPath}`} within ${timeoutMs / 1000} s${await stderrTail(launch.stderrPath)}`, {
          program: launch.program
        })
      }
      await sleep(25)
    }
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
  async stop(graceMs = 5_000): Promise<VmmExit> {
    if (!this.isRunning()) return this.exited
    this.child.kill('SIGTERM')
    // The grace timer is cancelled on exit, so a prompt exit does not keep a CLI waiting out the grace.
    const grace = new AbortController()
    const done = await Promise.race([this.waitForExit(), sleep(graceMs, undefined, { signal: grace.signal }).catch(() => undefined)])
    grace.abort()
    return done ?? this.kill()
  }

  async kill(): Promise<VmmExit> {
    if (this.isRunning()) this.child.kill('SIGKILL')
    return this.waitForExit()
  }

  /**
   * `exited`, holding the event loop open meanwhile: the child is unref'd, and without a
   * reference Node may end (a CLI's `stop`) before the exit is seen.
   */
  async waitForExit(): Promise<VmmExit> {
    if (!this.isRunning()) return this.exited
    this.child.ref()
    try {
      return await this.exited
    } finally {
      this.child.unref()
    }
  }
}

/**
 * Stops a VMM this process did not start (found again after an app restart): only if the pid
 * still belongs to the same process, SIGTERM, then SIGKILL after `graceMs`.
 */
export async function stopDetachedVmm(identity: Required<ProcessIdentity>, graceMs = 5_000): Promise<void> {
  if (!(await isProcessAlive(identity))) return
  signalIfThere(identity.pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!(await isProcessAlive(identity))) return
    await sleep(20)
  }
  if (await isProcessAlive(identity)) signalIfThere(identity.pid, 'SIGKILL')
  while (await isProcessAlive(identity)) await sleep(20)
}

/** A process that exits on its own between the look and the signal is what was wanted, not an error. */
function signalIfThere(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** Whether the process exits within `ms`; the timer is cancelled on exit so it holds nothing up. */
export async function exitsWithin(vmm: VmmProcess, ms: number): Promise<boolean> {
  if (!vmm.isRunning()) return true
  const timer = new AbortController()
  try {
    return await Promise.race([vmm.exited.then(() => true), sleep(ms, false, { signal: timer.signal })])
  } finally {
    timer.abort()
  }
}

/**
 * A VMM that died while being talked to says more in its last words on stderr than a closed
 * socket does: `error` becomes VMM_EXITED with them when the process has exited within a second,
 * and is kept as it is otherwise.
 */
export async function explainVmmExit(error: unknown, vmm: VmmProcess, how: { program: string; stderrPath: string; during: string; details?: Record<string, unknown> }): Promise<unknown> {
  if (!(await exitsWithin(vmm, 1_000))) return error
  const exit = await vmm.exited
  const ended = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`
  return new BpvmError('VMM_EXITED', `${how.program} ${ended} ${how.during}${await stderrTail(how.stderrPath)}`, { program: how.program, ...exit, ...how.details })
}
