import { isIP } from 'node:net'
import { invalidInput } from '../errors'
import { isHostInSubnet, ipv4ToNumber, parseInterfaceCidr } from '../net/ipv4'
import { buildFatImage, type BuildFatOptions } from './fat/buildFatImage'
import type { FatBuildReport } from './fat/fatTypes'
import { metaData, networkConfig, userData, type CidataConfig } from './cidataDocuments'
import { CIDATA_LABEL } from './guestLayout'
import { checkOutputFile } from './outputPath'

export const DEFAULT_DNS = ['1.1.1.1', '8.8.8.8']

export interface CidataRequest {
  instanceId: string
  mac: string
  /** The guest's address with prefix, e.g. `172.30.0.2/24`. */
  address: string
  gateway: string
  /** Defaults to 1.1.1.1 and 8.8.8.8. */
  dns?: string[]
  out: string
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

/** Validates the request; every error names the CLI option at fault. */
export function cidataConfig(request: Omit<CidataRequest, 'out'>): CidataConfig {
  const instanceId = String(request.instanceId ?? '')
  if (instanceId === '') throw invalidInput('--instance-id', 'is required')
  // cloud-init uses the id as a directory name under /var/lib/cloud/instances.
  if (!/^[\x21-\x7e]+$/.test(instanceId) || instanceId.includes('/') || instanceId === '.' || instanceId === '..') {
    throw invalidInput('--instance-id', `${JSON.stringify(instanceId)} must be printable ASCII without spaces or "/"`)
  }
  if (instanceId.length > 128) throw invalidInput('--instance-id', 'is longer than 128 characters')

  const mac = String(request.mac ?? '')
  if (!MAC.test(mac)) throw invalidInput('--mac', `expected six hex pairs like 52:54:00:12:34:56, got ${JSON.stringify(mac)}`)
  const firstOctet = parseInt(mac.slice(0, 2), 16)
  if (firstOctet & 1) throw invalidInput('--mac', `${mac} is a multicast address; a NIC needs a unicast one`)
  if (/^(00:){5}00$/.test(mac)) throw invalidInput('--mac', 'cannot be all zeros')

  const cidr = parseInterfaceCidr(String(request.address ?? ''), '--address')
  const gateway = String(request.gateway ?? '')
  if (ipv4ToNumber(gateway) === undefined) throw invalidInput('--gateway', `${JSON.stringify(gateway)} is not an IPv4 address`)
  if (gateway === cidr.address) throw invalidInput('--gateway', `${gateway} is the guest's own address`)
  if (!isHostInSubnet(gateway, cidr)) throw invalidInput('--gateway', `${gateway} is not a host of the guest's subnet ${cidr.address}/${cidr.prefix}`)

  const dns = request.dns && request.dns.length > 0 ? request.dns : DEFAULT_DNS
  for (const server of dns) {
    if (isIP(server) === 0) throw invalidInput('--dns', `${JSON.stringify(server)} is not an IP address`)
  }
  return { instanceId, mac: mac.toLowerCase(), address: cidr.address, prefix: cidr.prefix, gateway, dns: [...dns] }
}

/** Builds the NoCloud seed disk (FAT32, label CIDATA) cloud-init reads on first boot. */
export async function buildCidataDisk(request: CidataRequest, options: BuildFatOptions = {}): Promise<FatBuildReport> {
  const config = cidataConfig(request)
  const out = await checkOutputFile(request.out)
  const file = (name: string, text: string) => ({ kind: 'file' as const, name, source: { bytes: new TextEncoder().encode(text) } })
  return buildFatImage(
    {
      label: CIDATA_LABEL,
      out,
      entries: [file('meta-data', metaData(config)), file('user-data', userData()), file('network-config', networkConfig(config))]
    },
    options
  )
}
