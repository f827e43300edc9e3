import type { NetworkInterfaceInfo } from '../shared/api'
import { defaultRouteDevice, listAddresses, listLinks } from '../main/runtime/net/ipCommand'
import { vmIdOfTap, type NetContext } from '../main/runtime/net/netContext'

/** The host's interfaces with their IPv4 addresses, for choosing the egress; the VMs' own TAPs are left out. */
export async function hostInterfaces(ctx: NetContext): Promise<NetworkInterfaceInfo[]> {
  const [links, addresses, defaultDevice] = await Promise.all([listLinks(ctx), listAddresses(ctx), defaultRouteDevice(ctx)])
  return links
    .filter((link) => vmIdOfTap(link.ifname) === undefined)
    .map((link) => ({
      name: link.ifname,
      addresses: addresses.filter((a) => a.ifname === link.ifname).map((a) => a.cidr),
      up: link.up,
      defaultRoute: link.ifname === defaultDevice
    }))
}
