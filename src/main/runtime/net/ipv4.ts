import { isIPv4 } from 'node:net'
import { invalidInput } from '../errors'

/** An interface address with its prefix length, e.g. 172.30.0.2/24. */
export interface Ipv4Cidr {
  address: string
  prefix: number
}

/** The address as an unsigned 32-bit number, or undefined when it is not dotted-quad IPv4. */
export function ipv4ToNumber(text: string): number | undefined {
  // isIPv4 refuses leading zeros and out-of-range octets, so the split below is safe.
  if (!isIPv4(text)) return undefined
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffff_ffff << (32 - prefix)) >>> 0
}

/** Parses `A.B.C.D/P` for an interface: a host address (not the network or broadcast address). */
export function parseInterfaceCidr(text: string, field: string): Ipv4Cidr {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text)
  if (!match) throw invalidInput(field, `expected an IPv4 address with a prefix length, like 172.30.0.2/24, got ${JSON.stringify(text)}`)
  const address = match[1] ?? ''
  const prefix = Number(match[2])
  const value = ipv4ToNumber(address)
  if (value === undefined) throw invalidInput(field, `${JSON.stringify(address)} is not an IPv4 address`)
  // /31 and /32 have no room for a separate gateway on the same link.
  if (prefix < 1 || prefix > 30) throw invalidInput(field, `prefix length must be from 1 to 30, got /${prefix}`)
  const hostBits = value & ~mask(prefix)
  if (hostBits === 0) throw invalidInput(field, `${address} is the network address of ${address}/${prefix}, not a host address`)
  if ((hostBits | mask(prefix)) >>> 0 === 0xffff_ffff) throw invalidInput(field, `${address} is the broadcast address of its /${prefix}`)
  return { address, prefix }
}

/** Whether `address` is a host of the subnet `cidr` lies in (neither its network nor broadcast address). */
export function isHostInSubnet(address: string, cidr: Ipv4Cidr): boolean {
  const value = ipv4ToNumber(address)
  const base = ipv4ToNumber(cidr.address)
  if (value === undefined || base === undefined) return false
  const m = mask(cidr.prefix)
  if (((value & m) >>> 0) !== ((base & m) >>> 0)) return false
  const hostBits = value & ~m
  return hostBits !== 0 && (hostBits | m) >>> 0 !== 0xffff_ffff
}
