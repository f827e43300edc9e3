import { BpvmError } from '../../../../shared/errors'
import { linkExists } from '../../net/ipCommand'
import { HOST_NET, type NetContext } from '../../net/netContext'
import type { VmmDriver, VmmFiles } from '../vmmDriver'
import { explainVmmExit, VmmProcess } from '../vmmProcess'
import { checkVmSpec, type VmSpec } from '../vmSpec'
import { watchBoot } from './bootWatchdog'
import { qemuArgsFor, SERIAL_CHARDEV_ID, type QemuArgOptions } from './qemuArgs'
import { resolveAccel, vhostVsockAvailable, type AccelSetting } from './qemuHost'
import { attachQemu } from './qemuAttached'
import { QemuVm, type QemuLaunchReport } from './qemuVm'
import { QmpClient } from './qmpClient'

const DEFAULT_SETUP_TIMEOUT_MS = 30_000

export interface QemuDriverOptions {
  /** Default `qemu-system-x86_64`. */
  program?: string
  /** Put before QEMU's own arguments: with program `ip`, `['netns', 'exec', ns, 'qemu-system-x86_64']`. */
  argsPrefix?: string[]
  /** Default `auto`: KVM when /dev/kvm opens read-write, else TCG. */
  accel?: AccelSetting
  /** Where the pre-made TAP must exist; default the host's namespace. */
  net?: NetContext
  diskCache?: QemuArgOptions['diskCache']
  /** How long the serial log may stay empty after the spawn before GUEST_SILENT; default 30 s. */
  silentGuestMs?: number
  /**
   * How long QEMU may take to greet on QMP after the spawn, and then to answer each command of
   * the session's set-up; default 30 s. A QEMU starting beside many others on a busy host can
   * take seconds to load its kernel and realize its devices; one that dies is seen at once.
   */
  setupTimeoutMs?: number
  /** How long `shutdown()` waits for QEMU to exit after `quit` before killing it; default 10 s. */
  quitGraceMs?: number
  /** Receives each launch note (the accelerator chosen, a missing vsock device) as it is made. */
  onNote?: (note: string) => void
}

export interface QemuVmmDriver extends VmmDriver {
  readonly kind: 'qemu'
  launch(spec: VmSpec, files: VmmFiles): Promise<QemuVm>
}

export function qemuDriver(options: QemuDriverOptions = {}): QemuVmmDriver {
  return { kind: 'qemu', launch: (spec, files) => launch(options, spec, files), attach: attachQemu }
}

async function launch(options: QemuDriverOptions, spec: VmSpec, files: VmmFiles): Promise<QemuVm> {
  checkVmSpec(spec)
  const notes: string[] = []
  const note = (line: string): void => {
    notes.push(line)
    options.onNote?.(line)
  }
  const accel = await resolveAccel(options.accel ?? 'auto')
  note(`accelerator: ${accel.reason}`)
  const vsockAttached = spec.vsock !== undefined && (spec.vsock.vhostUser !== undefined || (await vhostVsockAvailable()))
  if (spec.vsock?.vhostUser !== undefined) note(`vsock: vhost-user device on ${spec.vsock.vhostUser}, guest CID ${spec.vsock.cid}`)
  if (spec.vsock && !vsockAttached) note('vsock: not attached, /dev/vhost-vsock is missing on this host (modprobe vhost_vsock)')
  if (spec.nic && !(await linkExists(options.net ?? HOST_NET, spec.nic.tap))) {
    // As root QEMU would make an unaddressed TAP of that name itself; the VM would have no network.
    throw new BpvmError('TAP_MISSING', `${spec.name}: network interface ${spec.nic.tap} does not exist; it is created before QEMU starts`, {
      link: spec.nic.tap
    })
  }
  const args = qemuArgsFor(spec, files, { accel: accel.accel, vhostVsock: vsockAttached, diskCache: options.diskCache ?? 'none' })

  // Filled by the readiness probe: the greeting it read opens the session the VM is driven over.
  const ready: { qmp?: QmpClient } = {}
  const setupTimeoutMs = options.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS
  const program = options.program ?? 'qemu-system-x86_64'
  const launchedAt = Date.now()
  const vmm = await VmmProcess.start({
    program,
    args: [...(options.argsPrefix ?? []), ...args],
    stdoutPath: files.stdoutPath,
    stderrPath: files.stderrPath,
    socketPath: files.socketPath,
    isReady: async () => {
      ready.qmp = await QmpClient.connect(files.socketPath, 1_000)
      return true
    },
    readyTimeoutMs: setupTimeoutMs
  })
  const stopWatch = new AbortController()
  try {
    const qmp = ready.qmp
    if (!qmp) throw new BpvmError('QMP_CONNECT_FAILED', `${spec.name}: QEMU was ready but no QMP session was kept`)
    await qmp.capabilities(setupTimeoutMs)
    const report: QemuLaunchReport = { accel, launchedAt, vsockAttached, notes }
    if (spec.serial.mode === 'pty') report.serialPty = await serialPty(qmp, setupTimeoutMs)
    const boot =
      spec.serial.mode === 'file'
        ? watchBoot(spec.serial.path, { accel: accel.accel, launchedAt, silentAfterMs: options.silentGuestMs ?? 30_000, signal: stopWatch.signal })
        : undefined
    return new QemuVm({
      name: spec.name,
      process: vmm,
      qmp,
      report,
      ...(boot ? { boot } : {}),
      stopWatch,
      quitGraceMs: options.quitGraceMs ?? 10_000,
      program,
      stderrPath: files.stderrPath
    })
  } catch (error) {
    stopWatch.abort()
    const failure = await explain(error, vmm, program, files.stderrPath)
    ready.qmp?.close()
    await vmm.kill()
    throw failure
  }
}

/**
 * QEMU may die just after it answered the greeting (KVM refusing the vCPU setup, an abort):
 * its last words on stderr say more than a closed QMP socket.
 */
async function explain(error: unknown, vmm: VmmProcess, program: string, stderrPath: string): Promise<unknown> {
  if (!(error instanceof BpvmError && (error.code === 'QMP_CLOSED' || error.code === 'QMP_TIMEOUT'))) return error
  return explainVmmExit(error, vmm, { program, stderrPath, during: 'while its QMP session was being set up', details: { command: error.details?.command } })
}

/** The PTY QEMU opened for the serial console, from `query-chardev` (`pty:/dev/pts/N`). */
async function serialPty(qmp: QmpClient, timeoutMs: number): Promise<string> {
  const answer = await qmp.execute('query-chardev', undefined, timeoutMs)
  const chardevs = Array.isArray(answer) ? (answer as Array<{ label?: unknown; filename?: unknown }>) : []
  const serial = chardevs.find((c) => c.label === SERIAL_CHARDEV_ID)
  if (typeof serial?.filename !== 'string' || !serial.filename.startsWith('pty:')) {
    throw new BpvmError('QMP_ERROR', `QEMU reported no PTY for the serial console (${String(serial?.filename ?? 'no such chardev')})`)
  }
  return serial.filename.slice('pty:'.length)
}
