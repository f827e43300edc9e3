import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BpvmError, toErrorInfo } from '../errors'
import { buildCidataDisk } from '../disk/cidata'
import { ensureDataDisk } from '../disk/dataDisk'
import { buildServiceDisk } from '../disk/serviceDisk'
import { defaultChain } from '../disk/serviceEnv'
import { buildDevGuest } from '../image/devGuest/buildDevGuest'
import { devGuestCmdline } from '../image/devGuest/devGuestLayout'
import { resolveEgress } from '../net/hostNetwork'
import { createTap, deleteLink } from '../net/ipCommand'
import { LeaseStore } from '../net/leaseStore'
import { requireNetAdmin } from '../net/netAdmin'
import { HOST_NET } from '../net/netContext'
import { addVmRules, removeVmRules } from '../net/vmNetRules'
import { readNetworkSettings } from '../settings/networkSettings'
import { processStartTime } from '../state/processIdentity'
import { qemuDriver } from '../vmm/qemu/qemuDriver'
import { guestMac } from '../vmm/vmSpec'
import { devGuestVmSpec } from './devGuestSpec'
import { checkLaunchSpec, rewriteLoopbackUrl, type LaunchSpec } from './launchSpec'
import { instancePaths, readInstance, writeInstance, type InstanceRecord } from './instanceRecord'
import { launchLog } from './logs/launchLog'
import { rotateIfNeeded } from './logs/rotateLog'
import { logPaths } from './logs/logStreams'
import { UndoStack } from './undoStack'

export type LaunchStep = 'check' | 'image' | 'lease' | 'disks' | 'tap' | 'vmm' | 'rules' | 'running'

export interface LaunchProgress {
  step: LaunchStep
  message: string
}

/**
 * Launches one instance: image → lease → disks → TAP → VMM (create and boot) → rules → running.
 * Every step is recorded in the launch log; a failure undoes every earlier step, newest first,
 * and is reported with the step that failed. The VM keeps running after this process exits.
 */
export async function launchInstance(input: LaunchSpec, onProgress: (p: LaunchProgress) => void = () => undefined): Promise<InstanceRecord> {
  const spec = checkLaunchSpec(input)
  const paths = instancePaths(spec.name)
  const existing = await readInstance(spec.name)
  if (existing && existing.phase !== 'stopped') {
    throw new BpvmError('INSTANCE_EXISTS', `name: an instance called ${spec.name} exists (${existing.phase}); tear it down first`, { field: 'name' })
  }
  await mkdir(paths.logs, { recursive: true, mode: 0o700 })
  // Logs of earlier boots stay readable; each is kept under its size limit by rotation.
  await Promise.all(Object.values(logPaths(paths.logs)).map((path) => rotateIfNeeded(path)))
  const log = launchLog(paths.launchLog)
  let step: LaunchStep = 'check'
  const progress = async (next: LaunchStep, message: string): Promise<void> => {
    step = next
    onProgress({ step, message })
    await log.append(step, message)
  }
  const undo = new UndoStack()
  let record: InstanceRecord | undefined
  try {
    await progress('check', `launching ${spec.name}`)
    await requireNetAdmin()
    await progress('image', 'preparing the dev guest image')
    const guest = await buildDevGuest()

    await progress('lease', 'leasing a subnet')
    const leases = await LeaseStore.open()
    const lease = await leases.allocate(spec.name)
    undo.push('lease', () => leases.release(spec.name))
    const settings = await readNetworkSettings()
    const egress = await resolveEgress(HOST_NET, settings.egressInterface)
    const now = new Date().toISOString()
    record = await writeInstance({
      version: 1, name: spec.name, vmm: 'qemu', image: 'dev', accel: spec.accel,
      limits: { memoryBytes: spec.memoryBytes, vcpus: spec.vcpus, storageBytes: spec.storageBytes },
      net: { id: lease.id, tap: lease.tap, subnet: lease.subnet, hostAddress: lease.hostAddress, guestAddress: lease.guestAddress, prefix: lease.prefix, egress },
      phase: 'launching', launcher: await launcherIdentity(), createdAt: existing?.createdAt ?? now, updatedAt: now
    })

    await progress('disks', `building the disks (${lease.guestAddress}/${lease.prefix} via ${lease.hostAddress})`)
    await mkdir(paths.disks, { recursive: true, mode: 0o700 })
    const disk = (name: string) => join(paths.disks, name)
    undo.push('service and cloud-init disks', () => Promise.all([rm(disk('service.img'), { force: true }), rm(disk('cidata.img'), { force: true })]))
    await buildServiceDisk({ binary: spec.binary, ...(spec.keystore === undefined ? {} : { keystore: spec.keystore }), env: guestEnv(spec, lease.hostAddress), args: spec.args, out: disk('service.img') })
    const mac = guestMac(lease.id)
    await buildCidataDisk({ instanceId: `${spec.name}-${lease.id}`, mac, address: `${lease.guestAddress}/${lease.prefix}`, gateway: lease.hostAddress, out: disk('cidata.img') })
    const data = await ensureDataDisk({ path: disk('data.qcow2'), sizeBytes: spec.storageBytes })
    if (data.action !== 'kept') undo.push('data disk', () => rm(disk('data.qcow2'), { force: true }))

    await progress('tap', `creating ${lease.tap}`)
    await createTap(HOST_NET, { name: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix })
    undo.push(lease.tap, () => deleteLink(HOST_NET, lease.tap))

    await progress('vmm', `starting QEMU (accelerator ${spec.accel})`)
    const vmSpec = devGuestVmSpec({
      name: spec.name, id: lease.id, memoryBytes: spec.memoryBytes, vcpus: spec.vcpus, guest, cmdline: devGuestCmdline(spec.guestGraceSeconds),
      disksDir: paths.disks, serialLog: paths.serialLog, nic: { tap: lease.tap, hostAddress: lease.hostAddress, prefix: lease.prefix, mac }, runDir: paths.state
    })
    const vm = await qemuDriver({ accel: spec.accel, onNote: (note) => void log.append('vmm', note) }).launch(vmSpec, {
      socketPath: paths.socket, stdoutPath: paths.vmmStdout, stderrPath: paths.vmmStderr
    })
    undo.push('VMM', () => vm.kill())
    record = await writeInstance({ ...record, process: vm.process.identity })

    await progress('rules', `forwarding ${lease.subnet} through ${egress}`)
    await addVmRules(HOST_NET, { tap: lease.tap, egress, subnet: lease.subnet })
    undo.push('nftables rules', () => removeVmRules(HOST_NET, lease.tap))

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

async function launcherIdentity(): Promise<{ pid: number; startTime: string }> {
  return { pid: process.pid, startTime: (await processStartTime(process.pid)) ?? '' }
}

/** The service's environment as the guest needs it: the host's loopback becomes the TAP's address. */
function guestEnv(spec: LaunchSpec, hostAddress: string): LaunchSpec['env'] {
  const original = spec.env.httpRpcUrl
  // CHAIN is decided on the URL the user gave, before the rewrite hides that it was local;
  // a URL that does not parse is left for the env model to report, naming its field.
  const chain = spec.env.chain ?? (URL.canParse(original) ? defaultChain(original) : undefined)
  return { ...spec.env, ...(chain === undefined ? {} : { chain }), httpRpcUrl: rewriteLoopbackUrl(original, hostAddress), wsRpcUrl: rewriteLoopbackUrl(spec.env.wsRpcUrl, hostAddress) }
}
