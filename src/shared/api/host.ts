import { z } from 'zod'
import { channel, noRequest } from './channel'

/** One external program the runtime relies on, as found on this host. */
export interface ProgramCheck {
  /** Command name looked up on PATH, e.g. `qemu-img`. */
  program: string
  /** What the app uses it for, in a few words. */
  purpose: string
  found: boolean
  /** Absolute path where it was found. */
  path?: string
  /** First line of its version output, trimmed. */
  version?: string
  /** Whether the app cannot build or run VMs without it (as opposed to an optional extra). */
  required: boolean
  /** How to install it when missing (Debian/Ubuntu package). */
  fix?: string
}

/** A property of the host itself (privileges, kernel settings, routes) that VM networking needs. */
export interface HostCheck {
  /** Stable id: `vmm`, `net-admin`, `ip-forward`, `egress`, `kvm`, `qemu-vsock`, `leases`, `disk`, `state`. */
  id: string
  label: string
  ok: boolean
  /** What was found, e.g. `eth0 (default route)` or `net.ipv4.ip_forward = 0`. */
  detail: string
  /** What to do when not ok. */
  fix?: string
}

export interface DoctorReport {
  programs: ProgramCheck[]
  host: HostCheck[]
}

/** A network interface of the host, for picking the egress interface. */
export interface NetworkInterfaceInfo {
  name: string
  /** IPv4 addresses with prefix, e.g. `192.0.2.1/24`. */
  addresses: string[]
  up: boolean
  /** The default route leaves by it. */
  defaultRoute: boolean
}

/** Whether something answers at an RPC URL (a TCP connect from the host; 127.0.0.1 for a loopback URL). */
export interface RpcEndpointCheck {
  /** `env.httpRpcUrl`, `env.wsRpcUrl`. */
  field: string
  url: string
  ok: boolean
  /** Why not: `connection refused`, `no answer within 1.5 s`, `not a URL`. */
  problem?: string
}

export const checkRpcRequestSchema = z.object({ httpRpcUrl: z.string().max(2048), wsRpcUrl: z.string().max(2048) }).strict()

export const hostApi = {
  doctor: channel<undefined, DoctorReport>('host:doctor', noRequest),
  interfaces: channel<undefined, NetworkInterfaceInfo[]>('host:interfaces', noRequest),
  /** The Launch form's live check of its RPC URLs, as the launch itself makes it. */
  checkRpc: channel<z.infer<typeof checkRpcRequestSchema>, RpcEndpointCheck[]>('host:checkRpc', checkRpcRequestSchema)
} as const
