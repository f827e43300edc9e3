import type { HostCheck } from '../../../shared/api/host'
import { toErrorInfo } from '../../../shared/errors'
import { ipForwardingEnabled, resolveEgress } from '../net/hostNetwork'
import { hasNetAdmin } from '../net/netAdmin'
import { HOST_NET } from '../net/netContext'
import { readNetworkSettings } from '../settings/networkSettings'
import { vmHostChecks } from './vmHostChecks'

/** The host properties VM networking depends on, each with what to do when it is missing. */
export async function hostChecks(): Promise<HostCheck[]> {
  const [network, vm] = await Promise.all([Promise.all([netAdminCheck(), forwardingCheck(), egressCheck()]), vmHostChecks()])
  return [...network, ...vm]
}

async function netAdminCheck(): Promise<HostCheck> {
  const ok = await hasNetAdmin().catch(() => false)
  return {
    id: 'net-admin',
    label: 'CAP_NET_ADMIN',
    ok,
    detail: ok ? 'this process may create TAP devices and nftables rules' : 'this process may not change networking',
    ...(ok ? {} : { fix: 'run bpvm as root, or: sudo setcap cap_net_admin+ep "$(command -v ip)" "$(command -v nft)"' })
  }
}

async function forwardingCheck(): Promise<HostCheck> {
  const enabled = await ipForwardingEnabled(HOST_NET).catch(() => undefined)
  return {
    id: 'ip-forward',
    label: 'IPv4 forwarding',
    ok: enabled === true,
    detail: enabled === undefined ? 'net.ipv4.ip_forward could not be read' : `net.ipv4.ip_forward = ${enabled ? 1 : 0}`,
    ...(enabled ? {} : { fix: 'bpvm net forwarding --enable (VMs reach nothing beyond the host without it)' })
  }
}

/** The egress interface launches will use: the configured one (and whether it exists), else the default route's. */
async function egressCheck(): Promise<HostCheck> {
  const base = { id: 'egress', label: 'Egress interface' }
  try {
    const configured = (await readNetworkSettings()).egressInterface
    const device = await resolveEgress(HOST_NET, configured)
    return { ...base, ok: true, detail: configured === undefined ? `${device} (default route)` : `${device} (configured)` }
  } catch (error) {
    return { ...base, ok: false, detail: toErrorInfo(error).message, fix: 'set an egress interface that exists (bpvm net config --egress, or the settings), or add a default route' }
  }
}
