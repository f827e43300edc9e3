import { BRIDGE_VSOCK_PORT } from './bridgeContract'
import { bridgeFiles, emptyBridgeState, readBridgeConfig, readBridgeState, setAsideBridgeState, type BridgeState } from './bridgeFiles'
import { BridgeLogic } from './bridgeLogic'
import { serveBridge } from './bridgeServer'
import { listenForGuestRelay } from './guestRelayListener'
import { PortForwards } from './portForwards'
import { watchServiceStart } from './serviceStartWatch'
import { StateWriter } from './stateWriter'
import type { BridgeConfig } from './bridgeFiles'

export interface RunningBridge {
  readonly logic: BridgeLogic
  /** Stops listening everywhere, closes every forward, removes its sockets, writes its state. */
  close(): Promise<void>
}

/**
 * One instance's bridge, from its directory: the configuration the launch wrote, the state an
 * earlier run left (ports are listened on again), the gRPC server on its sockets, the relay
 * listener when the guest has no vsock, and the port forwards.
 */
export async function runBridge(dir: string, log: (line: string) => void): Promise<RunningBridge> {
  const files = bridgeFiles(dir)
  const config = await readBridgeConfig(dir)
  const previous = await readBridgeState(files.state)
  if (previous.problem) log(`${previous.problem}; moved to ${await setAsideBridgeState(files.state).catch(() => 'nowhere')}, starting afresh`)
  const writer = new StateWriter(files.state, (error) => log(`could not save the bridge state: ${error.message}`))
  const forwards = new PortForwards(config.guestAddress, (port, accepted) => {
    const entry = logic.current.ports.find((p) => p.port === port)
    if (!entry || entry.guestAccepts === accepted) return
    log(accepted ? `port ${port}: the guest accepts` : `port ${port}: refused by ${config.guestAddress}:${port} (not listening yet, or listening on the guest's loopback only)`)
    logic.amend((state) => ({ ...state, ports: state.ports.map((p) => (p.port === port ? { ...p, guestAccepts: accepted, checkedAt: new Date().toISOString() } : p)) }))
  })
  const earlier = previous.state ?? emptyBridgeState()
  const state: BridgeState = { ...earlier, ports: await relisten(earlier.ports, forwards, log) }
  const logic = new BridgeLogic(config, state, forwards, (next) => writer.write(next))
  writer.write(state)
  const closers: Array<() => Promise<void>> = [() => forwards.closeAll()]
  try {
    // The relay first and the host's own socket last: a bridge that answers there is listening everywhere.
    if (config.relayPort !== undefined) {
      const relay = await listenForGuestRelay({
        hostAddress: config.hostAddress,
        port: config.relayPort,
        guestAddress: config.guestAddress,
        bridgeSocket: files.socket,
        onRefused: (peer) => {
          log(`relay: refused a connection from ${peer} (only ${config.guestAddress} may use this bridge)`)
          logic.amend((current) => ({ ...current, refusedPeers: (current.refusedPeers ?? 0) + 1, lastRefusedPeer: peer }))
        }
      })
      closers.unshift(() => relay.close())
    }
    const sockets = [...config.sockets.filter((s) => s !== files.socket), ...(config.sockets.includes(files.socket) ? [files.socket] : [])]
    const server = await serveBridge(logic, sockets, log)
    closers.unshift(() => server.close())
  } catch (error) {
    for (const close of closers) await close()
    throw error
  }
  const watch = startLivenessWatch(config, logic, log)
  closers.push(async () => watch.stop())
  const ways = [...config.sockets, ...(config.relayPort === undefined ? [] : [`${config.hostAddress}:${config.relayPort} (relay, only ${config.guestAddress})`])]
  log(`bridge for service ${config.serviceId} of ${config.instance} (${config.transport}; guests dial port ${BRIDGE_VSOCK_PORT}) listening on ${ways.join(', ')}`)
  return {
    logic,
    close: async () => {
      for (const close of closers) await close().catch(() => undefined)
      await writer.drain()
    }
  }
}

/** Ports an earlier run held are listened on again; one that another program took meanwhile is kept with its problem. */
async function relisten(ports: BridgeState['ports'], forwards: PortForwards, log: (line: string) => void): Promise<BridgeState['ports']> {
  const result: BridgeState['ports'] = []
  for (const entry of ports) {
    const held = await forwards.reserve(entry.port)
    if (held === entry.port) {
      const kept = { ...entry }
      delete kept.problem
      result.push(kept)
    } else {
      const problem = `port ${entry.port} was taken by another program while the bridge was down`
      log(problem)
      result.push({ ...entry, problem })
    }
  }
  return result
}

/** Why a service would not ping, for a warning once it has run a while without doing so. */
export const NO_PING_CAUSES = 'no vsock in the guest, the relay down, or a service built without the bridge'

/**
 * The service's start, seen in the serial log, starts a clock: no Ping within the configured
 * time gives a warning (kept in the state, shown in the status) naming the likely causes.
 */
function startLivenessWatch(config: BridgeConfig, logic: BridgeLogic, log: (line: string) => void): { stop: () => void } {
  let timer: NodeJS.Timeout | undefined
  const arm = (startedAt: string): void => {
    if (config.testMode) return
    const due = Date.parse(startedAt) + config.pingWarningSeconds * 1000 - Date.now()
    timer = setTimeout(() => {
      if (logic.current.lastPingAt !== undefined) return
      const warning = `the service has not pinged its bridge ${config.pingWarningSeconds} s after it started: ${NO_PING_CAUSES}`
      log(warning)
      logic.amend((state) => ({ ...state, warning }))
    }, Math.max(0, due))
  }
  const started = logic.current.serviceStartedAt
  if (started !== undefined) {
    arm(started)
    return { stop: () => clearTimeout(timer) }
  }
  const watch = watchServiceStart(config.serialLog, () => {
    const at = new Date().toISOString()
    logic.amend((state) => ({ ...state, serviceStartedAt: at }))
    arm(at)
  })
  return {
    stop: () => {
      watch.stop()
      clearTimeout(timer)
    }
  }
}
