import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { invalidInput } from '../../../shared/errors'
import { isHostInSubnet, ipv4ToNumber, parseInterfaceCidr } from '../net/ipv4'
import { buildFatImage, type BuildFatOptions } from './fat/buildFatImage'
import type { FatBuildReport } from './fat/fatTypes'
import { metaData, networkConfig, userData, type CidataConfig } from './cidataDocuments'
import { CIDATA_LABEL } from './guestLayout'
import { DEFAULT_GUEST_GRACE_SECONDS } from './guestServiceScripts'
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
  /** Install Docker at first boot; default false. */
  docker?: boolean
  /** Seconds the service gets after SIGINT before what is left of it is killed; default 10. */
  graceSeconds?: number
  /** The guest reaches its bridge through a relay to this address and port (no vsock). */
  bridgeRelay?: { address: string; port: number }
  out: string
  /** Replace an existing file at `out` (`--force`). */
  replace?: boolean
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

/** Validates the request; every error names the CLI option at fault. */
export function cidataConfig(request: Omit<CidataRequest, 'out'>): CidataConfig {
  const instanceId = String(request.instanceId ?? '')
  if (instanceId === '') throw invalidInput('instanceId', 'is required')
  // cloud-init uses the id as a directory name under /var/lib/cloud/instances.
  if (!/^[\x21-\x7e]+$/.test(instanceId) || instanceId.includes('/') || instanceId === '.' || instanceId === '..') {
    throw invalidInput('instanceId', `${JSON.stringify(instanceId)} must be printable ASCII without spaces or "/"`)
  }
  if (instanceId.length > 128) throw invalidInput('instanceId', 'is longer than 128 characters')

  const mac = String(request.mac ?? '')
  if (!MAC.test(mac)) throw invalidInput('mac', `expected six hex pairs like 52:54:00:12:34:56, got ${JSON.stringify(mac)}`)
  const firstOctet = parseInt(mac.slice(0, 2), 16)
  if (firstOctet & 1) throw invalidInput('mac', `${mac} is a multicast address; a NIC needs a unicast one`)
  if (/^(00:){5}00$/.test(mac)) throw invalidInput('mac', 'cannot be all zeros')

  const cidr = parseInterfaceCidr(String(request.address ?? ''), 'address')
  const gateway = String(request.gateway ?? '')
  if (ipv4ToNumber(gateway) === undefined) throw invalidInput('gateway', `${JSON.stringify(gateway)} is not an IPv4 address`)
  if (gateway === cidr.address) throw invalidInput('gateway', `${gateway} is the guest's own address`)
  if (!isHostInSubnet(gateway, cidr)) throw invalidInput('gateway', `${gateway} is not a host of the guest's subnet ${cidr.address}/${cidr.prefix}`)

  const dns = request.dns && request.dns.length > 0 ? request.dns : DEFAULT_DNS
  for (const server of dns) {
    if (isIP(server) === 0) throw invalidInput('dns', `${JSON.stringify(server)} is not an IP address`)
  }
  const graceSeconds = request.graceSeconds ?? DEFAULT_GUEST_GRACE_SECONDS
  if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > 3600) throw invalidInput('graceSeconds', 'must be a whole number of seconds from 0 to 3600')
  return { instanceId, mac: mac.toLowerCase(), address: cidr.address, prefix: cidr.prefix, gateway, dns: [...dns], docker: request.docker === true, graceSeconds,
    ...(request.bridgeRelay ? { bridgeRelay: checkRelay(request.bridgeRelay) } : {}) }
}

function checkRelay(relay: { address: string; port: number }): { address: string; port: number } {
  if (ipv4ToNumber(relay.address) === undefined) throw invalidInput('bridgeRelay.address', `${JSON.stringify(relay.address)} is not an IPv4 address`)
  if (!Number.isInteger(relay.port) || relay.port < 1 || relay.port > 65535) throw invalidInput('bridgeRelay.port', `must be from 1 to 65535, got ${relay.port}`)
  return { address: relay.address, port: relay.port }
}

/** The three NoCloud documents, by file name. */
export function cidataFiles(config: CidataConfig): Record<'meta-data' | 'user-data' | 'network-config', string> {
  return { 'meta-data': metaData(config), 'user-data': userData(config), 'network-config': networkConfig(config) }
}

/**
 * Eight hex digits that change whenever the user-data or network-config does. cloud-init
 * applies both only for a new instance id, so an id carrying this tag makes a relaunch apply
 * what changed (Docker asked for, a newer bpvm's documents) instead of silently keeping the old.
 */
export function cidataTag(request: Omit<CidataRequest, 'out' | 'instanceId'>): string {
  const config = cidataConfig({ ...request, instanceId: 'tag' })
  return createHash('sha256').update(userData(config)).update(networkConfig(config)).digest('hex').slice(0, 8)
}

/** A digest of everything cloud-init is given: equal digests mean it would have nothing new to do. */
export const cidataDigest = (config: CidataConfig): string => createHash('sha256').update(JSON.stringify(cidataFiles(config))).digest('hex')

/** Builds the NoCloud seed disk (FAT32, label CIDATA) cloud-init reads on first boot. */
export async function buildCidataDisk(request: CidataRequest, options: BuildFatOptions = {}): Promise<FatBuildReport & { digest: string }> {
  const config = cidataConfig(request)
  const out = await checkOutputFile(request.out, 'out', { replace: request.replace === true })
  const file = ([name, text]: [string, string]) => ({ kind: 'file' as const, name, source: { bytes: new TextEncoder().encode(text) } })
  const report = await buildFatImage({ label: CIDATA_LABEL, out, entries: Object.entries(cidataFiles(config)).map(file) }, options)
  return { ...report, digest: cidataDigest(config) }
}
