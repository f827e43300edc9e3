import { enableIpForwarding, ipForwardingEnabled } from '../../main/runtime/net/hostNetwork'
import { LeaseStore } from '../../main/runtime/net/leaseStore'
import { requireNetAdmin } from '../../main/runtime/net/netAdmin'
import { HOST_NET } from '../../main/runtime/net/netContext'
import { cleanupOrphans, netInventory, type CleanupReport, type NetInventory } from '../../main/runtime/net/netInventory'

/** The host's own network namespace as VMs use it: its leases, TAP devices, rules and forwarding. */

export async function listNet(): Promise<NetInventory> {
  return netInventory(HOST_NET, await new LeaseStore().list())
}

/** Removes exactly what `listNet` calls orphan: tagged by this home, held by no lease. */
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
