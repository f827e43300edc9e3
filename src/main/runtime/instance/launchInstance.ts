import type { LaunchStep } from '../../../shared/vocabulary'
import { lstat, mkdir, rm } from 'node:fs/promises'
import { totalmem } from 'node:os'
import { BpvmError, invalidInput, toErrorInfo } from '../../../shared/errors'
import { checkServiceInput } from '../disk/serviceDisk'
import { cancelled } from '../image/httpClient'
import type { UbuntuPullProgress } from '../image/ubuntuImage'
import { resolveEgress } from '../net/hostNetwork'
import { createTap, deleteLink } from '../net/ipCommand'
import { LeaseStore } from '../net/leaseStore'
import { requireNetAdmin } from '../net/netAdmin'
import { HOST_NET } from '../net/netContext'
import { ownerTag } from '../net/ownerTag'
import { addVmRules, removeVmRules } from '../net/vmNetRules'
import { readAppSettings, type AppSettings } from '../settings/appSettings'
import { readNetworkSettings } from '../settings/networkSettings'
import { withFileLock } from '../state/fileLock'
import { processStartTime } from '../state/processIdentity'
import { vmmDriverFor } from '../vmm/vmmDrivers'
import type { VmmDriver } from '../vmm/vmmDriver'
import { checkSocketPath, guestMac, type VmSpec } from '../vmm/vmSpec'
import { GUEST_BRIDGE_SOCKET } from '../disk/guestLayout'
import { checkBridgePaths, decideBridgeTransport, RELAY_PORT, startInstanceBridge } from './instanceBridge'
import { imageLabel, prepareGuest } from './guestImage'
import { buildInstanceDisks } from './instanceDisks'
import { CLOUD_HYPERVISOR_PROGRAM, launchDefaults } from './launchDefaults'
import { checkLaunchSpec, type CheckedLaunch, type LaunchSpec } from './launchSpec'
import { guestArgs, guestEnv } from './guestServiceInput'
import { instanceConsoleSpec, startInstanceConsole } from './instanceConsole'
import { planLoopbackForwards } from './loopbackForwards'
import { requireRpcAnswers } from './rpcPreflight'
import { checkInstanceName, instancePaths, readInstance, writeInstance, type InstancePaths, type InstanceRecord } from './instanceRecord'
import { launchLog } from './logs/launchLog'
import { rotateIfNeeded } from './logs/rotateLog'
import { logPaths } from './logs/logStreams'
import { guestLogFacts } from './serviceMarkers'
import { UndoStack } from './undoStack'

export type { LaunchStep }

export interface LaunchProgress {
  step: LaunchStep
  message: string
  /** While an image downloads: bytes so far, the file's size, and the percentage when the size is known. */
  bytes?: number
  totalBytes?: number
  percent?: number
}

export interface LaunchOptions {
  onProgress?: (progress: LaunchProgress) => void
  /** Cancels the launch between steps (and an image download at once); everything done so far is undone. */
  signal?: AbortSignal
}

/**
 * Launches one instance: image → lease → disks → TAP → VMM (create and boot) → rules → running.
 * Every step is recorded in the launch log; a failure undoes every earlier step, newest first,
 * and is reported with the step that failed. The VM keeps running after this process exits.
 */
export async function launchInstance(input: LaunchSpec, options: LaunchOptions = {}): Promise<InstanceRecord> {
  const name = checkInstanceName(input.name)
  const paths = instancePaths(name)
  // A first launch of a name that fails before its record is written leaves no directory behind.
  const made = { state: !(await pathExists(paths.state)), disks: !(await pathExists(paths.disks)) }
  await mkdir(paths.logs, { recursive: true, mode: 0o700 })
  // Held until the launch ends: a second launch of the name is refused at once, and a
  // concurrent reconcile leaves this launch's lease alone before its record exists.
  try {
    return await withFileLock(
      paths.launchLock,
      () =>
        launchLocked(input, options).catch(async (error: unknown) => {
          if (!(await readInstance(name).catch(() => 'unreadable'))) await removeMadeDirs(paths, made)
          throw error
        }),
      { timeoutMs: 0 }
    )
  } catch (error) {
    if (error instanceof BpvmError && error.code === 'LOCK_TIMEOUT' && error.details?.lockFile === paths.launchLock) {
      throw new BpvmError('INSTANCE_EXISTS', `name: ${name} is being launched by another bpvm process`, { field: 'name' })
    }
    throw error
  }
}

/** The spec checked and completed with the defaults, as a launch would: callers check their input with it before anything else. */
export async function checkLaunchInput(input: LaunchSpec, settings?: AppSettings): Promise<CheckedLaunch> {
  const spec = checkLaunchSpec(input, await launchDefaults(settings ?? (await readAppSettings())))
  // QEMU would spend seconds of kernel time setting up shared guest memory before failing.
  if (spec.memoryBytes > totalmem()) throw invalidInput('memoryBytes', `${spec.memoryBytes / 1024 ** 2} MiB is more than this host has (${Math.floor(totalmem() / 1024 ** 2)} MiB)`)
  await checkServiceInput(spec)
  return spec
}

async function launchLocked(input: LaunchSpec, options: LaunchOptions): Promise<InstanceRecord> {
  const settings = await readAppSettings()
  const spec = await checkLaunchInput(input, settings)
  const paths = instancePaths(spec.name)
  const existing = await readInstance(spec.name)
  if (existing && existing.phase !== 'stopped') {
    throw new BpvmError('INSTANCE_EXISTS', `name: an instance called ${spec.name} exists (${existing.phase}); tear it down first`, { field: 'name' })
  }
  // The guest log starts afresh for every boot, so the status reads this boot's markers only;
  // the previous boot's stays readable in its `.1`. The others are kept under their size limit.
  const logs = logPaths(paths.logs)
  await rotateIfNeeded(logs.guest, 1, { mode: 'rename' })
  await Promise.all([logs.stdout, logs.stderr, logs.launch].map((path) => rotateIfNeeded(path, settings.logMaxBytes)))
  const log = launchLog(paths.launchLog, { rotateBytes: settings.logMaxBytes })
  const { signal } = options
  let step: LaunchStep = 'check'
  const progress = async (next: LaunchStep, message: string): Promise<void> => {
    if (signal?.aborted) throw cancelled(`the launch of ${spec.name}`)
    step = next
    options.onProgress?.({ step, message })
    await log.append(step, message)
  }
  const undo = new UndoStack()
  let record: InstanceRecord | undefined
  try {
    await progress('check', `launching ${spec.name} (${spec.vmm}, image ${imageLabel(spec.image)})`)
    await requireNetAdmin()
    const bridgeWay = await decideBridgeTransport(spec.vmm, spec.bridge)
    checkBridgePaths(paths, bridgeWay)
    // The VMM's control socket too: a path too long for sun_path is refused before anything is made.
    checkSocketPath('control socket', paths.socket)
    const consoleSpec = instanceConsoleSpec(paths, spec.vmm)
    const forwards = planLoopbackForwards(spec.env, spec.forward)
    if (bridgeWay.transport === 'relay' && forwards.some((f) => f.port === RELAY_PORT)) {
      throw invalidInput('forward', `port ${RELAY_PORT} on the gateway is the bridge relay's; the guest cannot also reach the host's loopback port ${RELAY_PORT} there (use vsock, or another port)`)
    }
    if (spec.rpcCheck) await requireRpcAnswers(spec.env)
    else await log.append('check', 'the RPC check was skipped: nothing checked that the RPC URLs answer')
    await progress('image', `preparing the ${imageLabel(spec.image)} image`)
    const guest = await prepareGuest(spec.image, {
      ...(spec.guestGraceSeconds === undefined ? {} : { guestGraceSeconds: spec.guestGraceSeconds }),
      bridgeRelay: bridgeWay.transport === 'relay',
      onUbuntuProgress: (pull) => reportPull(pull, options.onProgress, log),
      onDebianProgress: ({ message }) => {
        options.onProgress?.({ step: 'image', message })
        void log.append('image', message).catch(() => undefined)
      },
      ...(signal ? { signal } : {})
    })

    await progress('lease', 'leasing a subnet')
    const leases = await LeaseStore.open()
    const lease = await leases.allocate(spec.name)
    undo.push('lease', () => leases.release(spec.name))
    const egress = await resolveEgress(HOST_NET, (await readNetworkSettings()).egressInterface)
    const now = new Date().toISOString()
    record = await writeInstance({
      version: 1, name: spec.name, vmm: spec.vmm, image: imageLabel(spec.image), accel: spec.accel,
      limits: { memoryBytes: spec.memoryBytes, vcpus: spec.vcpus, storageBytes: spec.storageBytes },
      net: { id: lease.id, tap: lease.tap, subnet: lease.subnet, hostAddress: lease.hostAddress, guestAddress: lease.guestAddress, prefix: lease.prefix, egress },
      phase: 'launching', launcher: await launcherIdentity(), ...(forwards.length ? { loopbackForwards: forwards } : {}), createdAt: existing?.createdAt ?? now, updatedAt: now
    })

    await progress('disks', `building the disks (${lease.guestAddress}/${lease.prefix} via ${lease.hostAddress})`)
    const mac = guestMac(lease.id)
    const relay = bridgeWay.transport === 'relay' ? { address: lease.hostAddress, port: RELAY_PORT } : undefined
    const env = { ...guestEnv(spec, lease.hostAddress), ...(relay ? { bridgeSocketPath: GUEST_BRIDGE_SOCKET } : {}) }
    const { disks, rootKept, cidataDigest } = await buildInstanceDisks({ spec: { ...spec, args: guestArgs(spec, lease.hostAddress) }, guest, dir: paths.disks, mac, lease, env, ...(relay ? { bridgeRelay: relay } : {}) }, undo)
    const cloudInitDone = guest.root !== undefined && rootKept && (await cloudInitDoneFor(existing, `${logs.guest}.1`)) === cidataDigest
    if (cloudInitDone) await log.append('disks', 'cloud-init finished its work on this root disk in the last boot and its input is unchanged: booting without it')

    await progress('tap', `creating ${lease.tap}`)
    await createTap(HOST_NET, { name: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix, alias: ownerTag() })
    undo.push(lease.tap, () => deleteLink(HOST_NET, lease.tap))

    await progress('bridge', `starting the manager bridge (${bridgeWay.transport}: ${bridgeWay.reason})`)
    const bridge = await startInstanceBridge({ name: spec.name, serviceId: String(spec.env.serviceId), testMode: spec.args.testMode === true, lease, paths, decision: bridgeWay }, undo)
    const bridgeRecord = { transport: bridgeWay.transport, ...(bridge.vsockDaemon ? { vsockDaemon: bridge.vsockDaemon } : {}) }
    record = await writeInstance({ ...record, bridge: bridgeRecord })

    await progress('vmm', spec.vmm === 'qemu' ? `starting QEMU (accelerator ${spec.accel})` : 'starting cloud-hypervisor')
    // A VMM that failed to start can leave its control and console sockets behind.
    undo.push('VMM sockets', () => Promise.all([paths.socket, paths.consoleSocket, paths.consoleSizeSocket].map((path) => rm(path, { force: true }))).then(() => undefined))
    const vmSpec: VmSpec = {
      name: spec.name, id: lease.id, memoryBytes: spec.memoryBytes, vcpus: spec.vcpus,
      kernel: guest.kernel, ...(guest.initramfs ? { initramfs: guest.initramfs } : {}), cmdline: vmmCmdline(guest.cmdline, spec, cloudInitDone),
      disks, serial: { mode: 'file', path: paths.serialLog }, console: consoleSpec,
      ...(bridge.vsock ? { vsock: bridge.vsock } : {}),
      nic: { tap: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix, mac }, runDir: paths.state
    }
    const vm = await driverFor(spec, (note) => void log.append('vmm', note)).launch(vmSpec, {
      socketPath: paths.socket, stdoutPath: paths.vmmStdout, stderrPath: paths.vmmStderr
    })
    undo.push('VMM', () => vm.kill())
    // Started beside the VMM, which did not wait for it.
    const bridgeProcess = await bridge.process?.catch((error: unknown) => {
      step = 'bridge'
      throw error
    })
    const consoleHub = await startInstanceConsole(paths, undo)
    record = await writeInstance({
      ...record, bridge: { ...bridgeRecord, ...(bridgeProcess ? { process: bridgeProcess } : {}) }, process: vm.process.identity, console: { process: consoleHub },
      docker: spec.docker, cidataDigest, cloudInitDone: cloudInitDone ? cidataDigest : undefined
    })

    const loopbackNote = forwards.length ? `; the guest reaches the host's loopback ports ${forwards.map((f) => f.port).join(', ')} at ${lease.hostAddress}` : ''
    await progress('rules', `forwarding ${lease.subnet} through ${egress}${loopbackNote}`)
    const loopback = forwards.length ? { hostAddress: lease.hostAddress, guestAddress: lease.guestAddress, ports: forwards.map((f) => f.port) } : undefined
    await addVmRules(HOST_NET, { tap: lease.tap, egress, subnet: lease.subnet, ...(loopback ? { loopback } : {}) })
    undo.push('nftables rules', () => removeVmRules(HOST_NET, lease.tap))

    if (signal?.aborted) throw cancelled(`the launch of ${spec.name}`)
    record = await writeInstance({ ...record, phase: 'running', launcher: undefined })
    vm.detach()
    await progress('running', `${spec.name} is up: guest ${lease.guestAddress}, serial log ${paths.serialLog}`)
    return record
  } catch (error) {
    const failures = await undo.unwind()
    const info = toErrorInfo(error)
    const message = `launch failed at step "${step}": ${info.message}${failures.length ? ` (and undoing failed: ${failures.join('; ')})` : ''}`
    await log.append(step, message).catch(() => undefined)
    if (record) await writeInstance({ ...record, process: undefined, launcher: undefined, phase: 'stopped', outcome: { status: 'Error', reason: message, at: new Date().toISOString() } })
    throw new BpvmError(info.code, message, { ...info.details, step })
  }
}

/**
 * The directories a failed first launch made, and only those: it never had a record, so they hold
 * nothing but its own launch log (the error goes to the caller) and its lock, released just after.
 */
async function removeMadeDirs(paths: InstancePaths, made: { state: boolean; disks: boolean }): Promise<void> {
  if (made.disks) await rm(paths.disks, { recursive: true, force: true }).catch(() => undefined)
  if (made.state) await rm(paths.state, { recursive: true, force: true }).catch(() => undefined)
}

async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false
  )
}

function driverFor(spec: CheckedLaunch, onNote: (note: string) => void): VmmDriver {
  return vmmDriverFor(spec.vmm, { qemu: { accel: spec.accel, onNote }, cloudHypervisor: { program: CLOUD_HYPERVISOR_PROGRAM } })
}

/**
 * Under software emulation the kernel's IO-APIC timer test can fail and panic the boot; it
 * proves nothing in a VM. `cloud-init=disabled` (read by cloud-init's systemd generator) skips
 * its four stages, tens of seconds under TCG, when the root disk already holds their result.
 */
function vmmCmdline(cmdline: string, spec: CheckedLaunch, skipCloudInit: boolean): string {
  const words = cmdline.split(' ')
  const extra = [
    ...(spec.vmm === 'qemu' && spec.accel === 'tcg' && !words.includes('no_timer_check') ? ['no_timer_check'] : []),
    ...(skipCloudInit && !words.includes('cloud-init=disabled') ? ['cloud-init=disabled'] : [])
  ]
  return [cmdline, ...extra].join(' ')
}

/**
 * The CIDATA digest whose cloud-init run the root disk holds, finished with nothing failed:
 * carried over from a boot made without cloud-init, or read from the previous boot's log.
 */
async function cloudInitDoneFor(previous: InstanceRecord | undefined, previousGuestLog: string): Promise<string | undefined> {
  if (previous?.cloudInitDone !== undefined) return previous.cloudInitDone
  if (previous?.cidataDigest === undefined) return undefined
  const { cloudInit } = await guestLogFacts(previousGuestLog)
  return cloudInit.finished && !cloudInit.problems.some((p) => p.kind === 'failed') ? previous.cidataDigest : undefined
}

/** Download progress goes to the caller as it comes; the launch log gets each phase once. */
function reportPull(pull: UbuntuPullProgress, onProgress: LaunchOptions['onProgress'], log: ReturnType<typeof launchLog>): void {
  const bytes = pull.download
  onProgress?.({
    step: 'image',
    message: pull.message,
    ...(bytes ? { bytes: bytes.bytes, ...(bytes.total === undefined ? {} : { totalBytes: bytes.total }), ...(bytes.percent === undefined ? {} : { percent: bytes.percent }) } : {})
  })
  if (!bytes) void log.append('image', pull.message).catch(() => undefined)
}

async function launcherIdentity(): Promise<{ pid: number; startTime: string }> {
  return { pid: process.pid, startTime: (await processStartTime(process.pid)) ?? '' }
}
