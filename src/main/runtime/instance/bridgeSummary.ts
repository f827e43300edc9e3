import type { BridgeSummary } from '../../../shared/api/instances'
import { bridgeFiles, readBridgeState } from '../bridge/bridgeFiles'
import { isProcessAlive } from '../state/processIdentity'
import { instancePaths, type InstanceRecord } from './instanceRecord'

/**
 * What the instance's bridge has seen, read from the state it keeps, with whether it runs. A
 * bridge that died while its VM runs, or a state file that cannot be read, becomes the warning.
 */
export async function bridgeSummary(record: InstanceRecord): Promise<BridgeSummary | undefined> {
  const bridge = record.bridge
  if (!bridge) return undefined
  const running = record.phase !== 'stopped' && bridge.process !== undefined && (await isProcessAlive(bridge.process))
  if (bridge.transport === 'none') {
    return { transport: 'none', running: false, pings: 0, ports: [], warning: 'the guest had no way to its bridge (launched before the dev guest had a relay)' }
  }
  const { state, problem } = await readBridgeState(bridgeFiles(instancePaths(record.name).state).state)
  const vmRunning = record.phase === 'running' && record.process !== undefined && (await isProcessAlive(record.process))
  const warning = problem ?? (vmRunning && !running ? 'the bridge is not running (`bpvm reconcile` starts it again)' : state?.warning)
  const registration = state?.registration
  return {
    transport: bridge.transport,
    running,
    pings: state?.pings ?? 0,
    ...(state?.lastPingAt ? { lastPingAt: state.lastPingAt } : {}),
    ...(state?.serviceStartedAt ? { serviceStartedAt: state.serviceStartedAt } : {}),
    ports: (state?.ports ?? []).map((p) => ({
      port: p.port,
      preferred: p.preferred,
      url: `http://127.0.0.1:${p.port}`,
      ...(p.guestAccepts === undefined ? {} : { guestAccepts: p.guestAccepts }),
      ...(p.problem ? { problem: p.problem } : {})
    })),
    ...(registration
      ? {
          registration: {
            serviceId: registration.serviceId,
            apiKeyPrefix: registration.apiKeyPrefix,
            upstreamUrl: registration.upstreamUrl,
            owners: registration.owners,
            ...(registration.tls ? { tls: { enabled: registration.tls.enabled, requireClientMtls: registration.tls.requireClientMtls } } : {})
          }
        }
      : {}),
    ...(warning ? { warning } : {}),
    ...(state?.refusedPeers ? { refusedPeers: state.refusedPeers } : {})
  }
}
