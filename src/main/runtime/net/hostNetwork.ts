import { BpvmError, invalidInput } from '../../../shared/errors'
import { defaultRouteDevice, listLinks, readSysctl, writeSysctl } from './ipCommand'
import type { NetContext } from './netContext'

const IP_FORWARD = 'net/ipv4/ip_forward'

/**
 * The interface VM traffic leaves the host by: the configured one, which must exist, or the
 * interface of the default route. `field` names the value in an error (the request path where
 * the caller was given it).
 */
export async function resolveEgress(ctx: NetContext, configured?: string, field = 'egress interface'): Promise<string> {
  if (configured !== undefined && configured !== '') {
    const links = await listLinks(ctx)
    if (!links.some((l) => l.ifname === configured)) {
      const names = links.map((l) => l.ifname).filter((n) => n !== 'lo')
      throw invalidInput(field, `${configured} does not exist on this host (interfaces: ${names.join(', ') || 'none'})`)
    }
    return configured
  }
  const device = await defaultRouteDevice(ctx)
  if (!device) {
    throw new BpvmError('EGRESS_NOT_FOUND', 'egress interface: this host has no default route, so set the egress interface VMs should use', {
      field: 'egress interface'
    })
  }
  return device
}

export async function ipForwardingEnabled(ctx: NetContext): Promise<boolean> {
  return (await readSysctl(ctx, IP_FORWARD)) === '1'
}

/** Turns IPv4 forwarding on. Only ever called on the user's explicit request. */
export async function enableIpForwarding(ctx: NetContext): Promise<void> {
  await writeSysctl(ctx, IP_FORWARD, '1')
}

/** Fails with what to do when VMs could not reach past the host. */
export async function requireIpForwarding(ctx: NetContext): Promise<void> {
  if (await ipForwardingEnabled(ctx)) return
  throw new BpvmError(
    'IP_FORWARDING_DISABLED',
    'net.ipv4.ip_forward is 0, so VMs cannot reach anything beyond this host: enable it with `bpvm net forwarding --enable` ' +
      '(or `sudo sysctl -w net.ipv4.ip_forward=1`)'
  )
}
