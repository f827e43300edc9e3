import { rm } from 'node:fs/promises'
import { BRIDGE_VSOCK_PORT } from '../bridge/bridgeContract'
import { bridgeFiles, writeBridgeConfig, type BridgeTransport } from '../bridge/bridgeFiles'
import { startBridge, stopBridge } from '../bridge/bridgeProcess'
import { BpvmError, invalidInput } from '../../../shared/errors'
import type { Lease } from '../net/leaseFile'
import { isProcessAlive, type ProcessIdentity } from '../state/processIdentity'
import { clearStaleVsockSockets } from '../vmm/cloudHypervisor/vsockSockets'
import { findSocatWithVsock, SOCAT_HINT } from '../host/socat'
import { vhostVsockAvailable, VHOST_VSOCK_DEVICE } from '../vmm/qemu/qemuHost'
import { findVhostDeviceVsock, startVsockDaemon, VHOST_DEVICE_VSOCK, VHOST_DEVICE_VSOCK_HINT } from '../vmm/qemu/vhostDeviceVsock'
import { closeVsockRoute, openVsockRoute } from '../bridge/vsockRouter'
import type { VmmKind } from '../vmm/vmmDriver'
import { stopDetachedVmm } from '../vmm/vmmProcess'
import { checkSocketPath, vsockCid, type VmSpec } from '../vmm/vmSpec'
import type { InstancePaths, InstanceRecord } from './instanceRecord'
import type { UndoStack } from './undoStack'

/** What a launch may ask for: the best way the host has (`auto`), vsock only, or the network relay. */
export const BRIDGE_CHOICES = ['auto', 'vsock', 'relay'] as const
export type BridgeChoice = (typeof BRIDGE_CHOICES)[number]

/** `none`: the guest had no way to its bridge (records of launches made before the dev guest had a relay). */
export type InstanceBridgeTransport = BridgeTransport | 'none'

/** Most ports one instance may hold through RequestPort. */
export const MAX_PORTS_PER_INSTANCE = 16
/** A service not in test mode that has not pinged this long after it started is warned about. */
export const PING_WARNING_SECONDS = 60

export interface TransportDecision {
  transport: InstanceBridgeTransport
  /** The vsock daemon's program, for vhost-user-vsock. */
  daemon?: string
  /** Why, for the launch log. */
  reason: string
}

/** Where the host's vsock device for QEMU is looked for (a test points it elsewhere). */
export interface BridgeHost {
  vhostVsockDevice: string
}

/**
 * How the guest will reach its bridge. cloud-hypervisor has hybrid vsock built in; QEMU has it
 * through vhost-device-vsock when that is installed (one daemon per VM, nothing shared), else
 * through the kernel's /dev/vhost-vsock with socat listening on the host's vsock port for every
 * VM; otherwise a relay over the VM's network (socat in the guest: the dev guest's relay initramfs,
 * cloud-init's unit in the others).
 */
export async function decideBridgeTransport(
  vmm: VmmKind,
  choice: BridgeChoice = 'auto',
  host: BridgeHost = { vhostVsockDevice: VHOST_VSOCK_DEVICE }
): Promise<TransportDecision> {
  if (!BRIDGE_CHOICES.includes(choice)) throw invalidInput('bridge', `must be auto, vsock or relay, got ${JSON.stringify(choice)}`)
  if (choice === 'relay') return { transport: 'relay', reason: 'the relay was asked for' }
  if (vmm === 'cloud-hypervisor') return { transport: 'vsock', reason: "cloud-hypervisor's hybrid vsock" }
  const daemon = await findVhostDeviceVsock()
  if (daemon) return { transport: 'vhost-user-vsock', daemon: daemon.path, reason: `${daemon.version ?? VHOST_DEVICE_VSOCK} serves the guest's vsock device` }
  const kernelVsock = await vhostVsockAvailable(host.vhostVsockDevice)
  const socat = kernelVsock ? await findSocatWithVsock() : undefined
  if (socat) return { transport: 'vhost-vsock', reason: `${host.vhostVsockDevice} serves the guest's vsock device; ${socat.version ?? 'socat'} listens on the host's vsock port ${BRIDGE_VSOCK_PORT}` }
  if (choice === 'vsock') {
    const alternatives = kernelVsock ? SOCAT_HINT : `or load the kernel's vhost_vsock module (${host.vhostVsockDevice}) and install socat`
    throw new BpvmError('PROGRAM_NOT_FOUND', `bridge: vsock needs ${VHOST_DEVICE_VSOCK} with QEMU: ${VHOST_DEVICE_VSOCK_HINT}; ${alternatives}`, { field: 'bridge', program: kernelVsock ? 'socat' : VHOST_DEVICE_VSOCK })
  }
  return { transport: 'relay', reason: `no ${VHOST_DEVICE_VSOCK} on this host: the guest reaches its bridge through a relay over its network` }
}

/** Every Unix socket the bridge and the vsock daemon will bind must fit sun_path: checked before anything is made. */
export function checkBridgePaths(paths: InstancePaths, decision: TransportDecision): void {
  if (decision.transport === 'none') return
  checkSocketPath('bridge socket', bridgeFiles(paths.state).socket)
  if (decision.transport !== 'relay') checkSocketPath('vsock socket', paths.vsock, `_${BRIDGE_VSOCK_PORT}`.length)
  if (decision.transport === 'vhost-user-vsock') checkSocketPath('vsock daemon socket', paths.vsockDaemonSocket)
}

export interface InstanceBridgeRequest {
  name: string
  serviceId: string
  testMode: boolean
  lease: Pick<Lease, 'id' | 'hostAddress' | 'guestAddress'>
  paths: InstancePaths
  decision: TransportDecision
}

export interface StartedBridge {
  /**
   * The bridge process, still starting: the VMM need not wait for it, since the guest's service
   * reaches it seconds later, after the guest's boot. The launch awaits it before it ends.
   */
  process?: Promise<Required<ProcessIdentity>>
  vsockDaemon?: Required<ProcessIdentity>
  /** For the VMM: the guest's vsock device, when it has one. */
  vsock?: VmSpec['vsock']
}

/** Where the host-wide vsock listener sends this instance's guest: the bridge's vsock listener, as for the other vsock transports. */
export const vsockRouteTarget = (paths: InstancePaths): string => `${paths.vsock}_${BRIDGE_VSOCK_PORT}`

/** The port the relay listens on, on the instance's TAP address. */
export const RELAY_PORT = BRIDGE_VSOCK_PORT

/**
 * Starts the instance's bridge (and, for QEMU's vhost-user vsock, its daemon) before the VM
 * boots, registering how to stop each on the undo stack. With `none` nothing is started.
 */
export async function startInstanceBridge(request: InstanceBridgeRequest, undo: UndoStack): Promise<StartedBridge> {
  const { paths, lease, decision } = request
  if (decision.transport === 'none') return {}
  const overVsock = decision.transport !== 'relay'
  const files = bridgeFiles(paths.state)
  await clearStaleVsockSockets(paths.vsock)
  await writeBridgeConfig(files.config, {
    version: 1,
    instance: request.name,
    serviceId: request.serviceId,
    guestAddress: lease.guestAddress,
    hostAddress: lease.hostAddress,
    transport: decision.transport,
    sockets: [files.socket, ...(overVsock ? [vsockRouteTarget(paths)] : [])],
    ...(overVsock ? {} : { relayPort: RELAY_PORT }),
    maxPorts: MAX_PORTS_PER_INSTANCE,
    serialLog: paths.serialLog,
    testMode: request.testMode,
    pingWarningSeconds: PING_WARNING_SECONDS
  })
  // A fresh launch starts with fresh bridge state: ports and registrations belong to one run of the service.
  await rm(files.state, { force: true })
  const bridge = startBridge(paths.state, paths.bridgeLog).then((started) => started.identity)
  undo.pushStarting('bridge', bridge, stopBridge)
  const started: StartedBridge = { process: bridge }
  const cid = vsockCid(lease.id)
  if (decision.transport === 'vhost-vsock') {
    await openVsockRoute(cid, vsockRouteTarget(paths))
    undo.push('vsock route', () => closeVsockRoute(cid))
  }
  if (decision.transport === 'vhost-user-vsock' && decision.daemon) {
    const daemon = await startVsockDaemon({ program: decision.daemon, cid, socket: paths.vsockDaemonSocket, udsPath: paths.vsock, logPath: paths.vsockDaemonLog })
    undo.push('vsock daemon', async () => {
      await stopDetachedVmm(daemon.identity, 2_000)
      await rm(paths.vsockDaemonSocket, { force: true })
    })
    return { ...started, vsockDaemon: daemon.identity, vsock: { cid, socket: paths.vsock, vhostUser: paths.vsockDaemonSocket } }
  }
  return overVsock ? { ...started, vsock: { cid, socket: paths.vsock } } : started
}

/** Stops an instance's bridge and vsock daemon, and removes their sockets. Quiet for what is gone. */
export async function stopInstanceBridge(record: InstanceRecord, paths: InstancePaths): Promise<void> {
  const bridge = record.bridge
  if (bridge?.transport === 'vhost-vsock') await closeVsockRoute(vsockCid(record.net.id))
  const stopIfAlive = async (identity: Required<ProcessIdentity> | undefined, stop: (identity: Required<ProcessIdentity>) => Promise<void>): Promise<void> => {
    if (identity && (await isProcessAlive(identity))) await stop(identity)
  }
  await Promise.all([stopIfAlive(bridge?.vsockDaemon, (daemon) => stopDetachedVmm(daemon, 2_000)), stopIfAlive(bridge?.process, stopBridge)])
  await Promise.all([rm(bridgeFiles(paths.state).socket, { force: true }), rm(paths.vsockDaemonSocket, { force: true })])
  await clearStaleVsockSockets(paths.vsock)
}
