import { BpvmError } from '../../../../shared/errors'
import { stderrTail } from '../stderrTail'
import type { RunningVm, VmState } from '../vmmDriver'
import { exitsWithin, type VmmProcess } from '../vmmProcess'
import type { FirstSerialByte } from './bootWatchdog'
import type { AccelChoice } from './qemuHost'
import type { QmpClient, QmpEvent } from './qmpClient'

/** What the launch decided and saw, for the instance's log and the boot-time figures. */
export interface QemuLaunchReport {
  accel: AccelChoice
  /** Epoch ms just before QEMU was spawned. */
  launchedAt: number
  /** Whether the VM got a vhost-vsock device. */
  vsockAttached: boolean
  /** The serial console's PTY, in `pty` mode. */
  serialPty?: string
  /** One line per decision worth a log line (accelerator, a missing vsock device). */
  notes: string[]
}

const STATE_TIMEOUT_MS = 3_000
const QUIT_REPLY_MS = 3_000

/** QEMU's RunState names, mapped onto the states both drivers report. */
export function vmStateOf(status: string): VmState {
  switch (status) {
    case 'running':
      return 'running'
    case 'prelaunch':
    case 'inmigrate':
      return 'created'
    // The VMM ends at guest shutdown (no -no-shutdown): this is its last moment.
    case 'shutdown':
      return 'stopped'
    case 'paused':
    case 'suspended':
    case 'debug':
    case 'io-error':
    case 'watchdog':
    case 'guest-panicked':
    case 'internal-error':
    case 'finish-migrate':
    case 'postmigrate':
    case 'save-vm':
    case 'restore-vm':
    case 'colo':
      return 'paused'
    default:
      return 'unknown'
  }
}

export interface QemuVmParts {
  name: string
  process: VmmProcess
  qmp: QmpClient
  report: QemuLaunchReport
  /** The boot watchdog's verdict; absent when the serial console is a PTY. */
  boot?: Promise<FirstSerialByte>
  /** Stops the boot watchdog once the VM is stopped or gone. */
  stopWatch: AbortController
  quitGraceMs: number
  /** For the reason QEMU gives when it ends by itself. */
  program: string
  stderrPath: string
}

/** A VM run by one QEMU process, driven over its QMP session. */
export class QemuVm implements RunningVm {
  readonly kind = 'qemu' as const
  readonly process: VmmProcess
  readonly report: QemuLaunchReport
  private readonly qmp: QmpClient

  constructor(private readonly parts: QemuVmParts) {
    this.process = parts.process
    this.report = parts.report
    this.qmp = parts.qmp
    // Whoever never asks for the boot verdict must not get an unhandled rejection.
    parts.boot?.catch(() => undefined)
    void parts.process.exited.then(async (exit) => {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`
      const tail = await stderrTail(parts.stderrPath).catch(() => '')
      this.release(new BpvmError('VMM_EXITED', `${parts.program} ${how} before the guest printed anything${tail}`, { program: parts.program, ...exit }))
    })
  }

  /** Every QMP event so far (`POWERDOWN`, `SHUTDOWN`, …). */
  get events(): readonly QmpEvent[] {
    return this.qmp.events
  }

  onEvent(listener: (event: QmpEvent) => void): () => void {
    return this.qmp.onEvent(listener)
  }

  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    return this.qmp.waitForEvent(name, timeoutMs)
  }

  /** The boot watchdog's verdict: the first serial byte, or GUEST_SILENT. Only in `file` serial mode. */
  firstSerialByte(): Promise<FirstSerialByte> {
    const { boot, name } = this.parts
    return boot ?? Promise.reject(new BpvmError('SERIAL_NOT_FILE', `${name}: the serial console goes to a PTY, not a file`, { vm: name }))
  }

  async state(): Promise<VmState> {
    if (!this.process.isRunning()) return 'stopped'
    try {
      return vmStateOf((await this.qmp.queryStatus(STATE_TIMEOUT_MS)).status)
    } catch (error) {
      // QEMU closes QMP as it exits: give the exit a moment to be seen.
      if (await exitsWithin(this.process, 1_000)) return 'stopped'
      if (error instanceof BpvmError && (error.code === 'QMP_TIMEOUT' || error.code === 'QMP_CLOSED')) return 'unknown'
      throw error
    }
  }

  /** Quiet when QEMU has already exited: the guest is off, which is what was asked. */
  async powerButton(): Promise<void> {
    if (!this.process.isRunning()) return
    try {
      await this.qmp.systemPowerdown()
    } catch (error) {
      if (!(error instanceof BpvmError && error.code === 'QMP_CLOSED' && (await exitsWithin(this.process, 1_000)))) throw error
    }
  }

  /** `quit`, then the grace time for QEMU to exit, then SIGKILL. */
  async shutdown(): Promise<void> {
    if (this.process.isRunning()) {
      // Killing below ends a QEMU that cannot answer just the same.
      await this.qmp.quit(QUIT_REPLY_MS).catch(() => undefined)
      if (!(await exitsWithin(this.process, this.parts.quitGraceMs))) await this.process.kill()
    }
    this.release()
  }

  async kill(): Promise<void> {
    await this.process.kill()
    this.release()
  }

  /**
   * Lets go of the VM without stopping it: QMP accepts one client at a time, so a process that
   * launched a VM and is done with it must hand QMP over to whoever asks next.
   */
  detach(): void {
    this.release(new BpvmError('DETACHED', `${this.parts.name}: no longer watched by this process`, { vm: this.parts.name }))
  }

  /** Only the first reason counts: a stop that was asked for is not reported as a crash. */
  private release(reason?: BpvmError): void {
    const { name } = this.parts
    this.parts.stopWatch.abort(reason ?? new BpvmError('VM_STOPPED', `${name}: the VM was stopped before the guest printed anything`, { vm: name }))
    this.qmp.close()
  }
}
