import { enableIpForwarding, ipForwardingEnabled } from '../runtime/net/hostNetwork'
import { LeaseStore } from '../runtime/net/leaseStore'
import { requireNetAdmin } from '../runtime/net/netAdmin'
import { HOST_NET } from '../runtime/net/netContext'
import { cleanupOrphans, netInventory, type CleanupReport, type NetInventory } from '../runtime/net/netInventory'
import { readNetworkSettings, updateNetworkSettings, type NetworkSettings, type NetworkSettingsPatch } from '../runtime/settings/networkSettings'

/** What `bpvm net …` does, over the host's own network namespace and the app's lease file. */

export async function listNet(): Promise<NetInventory> {
  return netInventory(HOST_NET, await new LeaseStore().list())
}

export async function cleanupNet(): Promise<CleanupReport> {
  await requireNetAdmin('Removing orphan TAP devices and rules')
  const leases = new LeaseStore()
  return cleanupOrphans(HOST_NET, () => leases.list())
}

export async function forwarding(enable: boolean): Promise<{ enabled: boolean; changed: boolean }> {
  const before = await ipForwardingEnabled(HOST_NET)
  if (!enable || before) return { enabled: before, changed: false }
  await requireNetAdmin('Turning on IPv4 forwarding')
  await enableIpForwarding(HOST_NET)
  return { enabled: await ipForwardingEnabled(HOST_NET), changed: true }
}

/** Shows the network settings, after applying `patch` when it changes anything. */
export async function configureNet(patch: NetworkSettingsPatch): Promise<NetworkSettings> {
  const changes = Object.keys(patch).length > 0
  return changes ? updateNetworkSettings(patch) : readNetworkSettings()
}
