import { z } from 'zod'

/**
 * The part of cloud-hypervisor's REST API (`/api/v1`, see its OpenAPI `cloud-hypervisor.yaml`)
 * this app uses. Request types list only the fields we send; answers are parsed, not trusted.
 */

export type ChEndpoint =
  | 'vmm.ping'
  | 'vmm.shutdown'
  | 'vm.create'
  | 'vm.boot'
  | 'vm.info'
  | 'vm.power-button'
  | 'vm.shutdown'
  | 'vm.delete'
  | 'vm.counters'

export interface ChDiskConfig {
  path: string
  readonly: boolean
  direct: boolean
  image_type: 'Raw' | 'Qcow2'
  backing_files?: boolean
}

export interface ChNetConfig {
  tap: string
  ip: string
  mask: string
  mac: string
}

export type ChSerialConfig = { mode: 'File'; file: string } | { mode: 'Pty' }

/** VmConfig as we send it to `vm.create`. */
export interface ChVmConfig {
  cpus: { boot_vcpus: number; max_vcpus: number }
  memory: { size: number; shared: boolean }
  payload: { kernel: string; initramfs?: string; cmdline: string }
  disks: ChDiskConfig[]
  serial: ChSerialConfig
  console: { mode: 'Off' } | { mode: 'Socket'; socket: string }
  vsock?: { cid: number; socket: string }
  net?: ChNetConfig[]
}

export const vmmPingSchema = z.object({
  version: z.string(),
  build_version: z.string().optional(),
  pid: z.number().int().optional(),
  features: z.array(z.string()).optional()
})
export type VmmPing = z.infer<typeof vmmPingSchema>

/** `Shutdown` and `BreakPoint` exist in the spec; the server drops the VM object instead of reporting the first. */
export const vmInfoSchema = z.object({
  state: z.enum(['Created', 'Running', 'Shutdown', 'Paused', 'BreakPoint']),
  config: z.record(z.string(), z.unknown()),
  memory_actual_size: z.number().int().optional()
})
export type VmInfo = z.infer<typeof vmInfoSchema>

/** Per device, per counter name. */
export const vmCountersSchema = z.record(z.string(), z.record(z.string(), z.number()))
export type VmCounters = z.infer<typeof vmCountersSchema>
