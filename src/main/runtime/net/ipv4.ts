import ipaddr from 'ipaddr.js'
import { invalidInput } from '../../../shared/errors'

const { IPv4 } = ipaddr

/** An address with a prefix length, e.g. 172.30.0.2/24 (an interface) or 172.30.0.0/16 (a network). */
export interface Ipv4Cidr {
  address: string
  prefix: number
}

/** First and last address of a network, as unsigned 32-bit numbers. */
export interface Ipv4Range {
  first: number
  last: number
}

/** The address as an unsigned 32-bit number, or undefined when it is not dotted-quad IPv4. */
export function ipv4ToNumber(text: string): number | undefined {
  // Four decimal parts only: ipaddr.js would otherwise also take octal, hex and short forms.
  if (!IPv4.isValidFourPartDecimal(text)) return undefined
  return IPv4.parse(text).octets.reduce((n, octet) => n * 256 + octet, 0)
}

export function numberToIpv4(value: number): string {
  return new IPv4([24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256)).toString()
}

const CIDR = /^([^/]+)\/(\d{1,2})$/

/** `A.B.C.D/P` with P from 0 to 32, host bits allowed; undefined for anything else. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const match = CIDR.exec(text)
  if (!match || !IPv4.isValidCIDRFourPartDecimal(text)) return undefined
  // ipaddr.js reads "/08" as 8; a prefix is written without leading zeros.
  if (match[2]!.length > 1 && match[2]!.startsWith('0')) return undefined
  return { address: match[1]!, prefix: Number(match[2]) }
}

/** The network a CIDR lies in, from its network address to its broadcast address. */
export function cidrRange(cidr: Ipv4Cidr): Ipv4Range {
  const text = `${cidr.address}/${cidr.prefix}`
  const toNumber = (address: ipaddr.IPv4): number => address.octets.reduce((n, octet) => n * 256 + octet, 0)
  return { first: toNumber(IPv4.networkAddressFromCIDR(text)), last: toNumber(IPv4.broadcastAddressFromCIDR(text)) }
}

/** Parses `A.B.C.D/P` for an interface: a host address (not the network or broadcast address). */
export function parseInterfaceCidr(text: string, field: string): Ipv4Cidr {
  const match = CIDR.exec(text)
  if (!match) throw invalidInput(field, `expected an IPv4 address with a prefix length, like 172.30.0.2/24, got ${JSON.stringify(text)}`)
  const address = match[1] ?? ''
  const prefix = Number(match[2])
  const value = ipv4ToNumber(address)
  if (value === undefined) throw invalidInput(field, `${JSON.stringify(address)} is not an IPv4 address`)
  // /31 and /32 have no room for a separate gateway on the same link.
  if (prefix < 1 || prefix > 30) throw invalidInput(field, `prefix length must be from 1 to 30, got /${prefix}`)
  const { first, last } = cidrRange({ address, prefix })
  if (value === first) throw invalidInput(field, `${address} is the network address of ${address}/${prefix}, not a host address`)
  if (value === last) throw invalidInput(field, `${address} is the broadcast address of its /${prefix}`)
  return { address, prefix }
}

/** Whether `address` is a host of the subnet `cidr` lies in (neither its network nor broadcast address). */
export function isHostInSubnet(address: string, cidr: Ipv4Cidr): boolean {
  const value = ipv4ToNumber(address)
  if (value === undefined || parseIpv4Cidr(`${cidr.address}/${cidr.prefix}`) === undefined) return false
  const { first, last } = cidrRange(cidr)
  return value > first && value < last
}
