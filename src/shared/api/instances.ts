import { z } from 'zod'
import { channel, noRequest } from './channel'
import type { TaskInfo } from './tasks'
import type { InstanceStatus, TeardownResult } from '../vocabulary'

/** The longest teardown grace period, in seconds, a request or the grace setting may ask for. */
export const MAX_GRACE_SECONDS = 3_600

const instanceName = z.string().min(1).max(64)
const id = z.union([z.string(), z.number().int().nonnegative()])

/** One of a few words, refused in the runtime's own wording ("must be a, b or c, got …"). */
function choice<const T extends readonly [string, ...string[]]>(values: T) {
  const words = `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`
  return z.enum(values, { error: (issue) => `must be ${words}, got ${JSON.stringify(issue.input)}` })
}

/** What the launch form sends; the runtime checks each value and names the field it refuses. */
export const launchRequestSchema = z
  .object({
    name: instanceName,
    binary: z.string().min(1),
    keystore: z.string().min(1).optional(),
    env: z
      .object({
        httpRpcUrl: z.string(),
        wsRpcUrl: z.string(),
        blueprintId: id,
        serviceId: id,
        protocol: z.string(),
        chain: z.string().optional(),
        bootnodes: z.array(z.string()).optional(),
        tangleContract: z.string().optional(),
        stakingContract: z.string().optional(),
        statusRegistryContract: z.string().optional(),
        registration: z.boolean().optional(),
        extraEnv: z.array(z.tuple([z.string(), z.string()])).optional()
      })
      .strict(),
    args: z
      .object({
        testMode: z.boolean().optional(),
        pretty: z.boolean().optional(),
        verbosity: z.number().int().min(0).max(16).optional(),
        dryRun: z.boolean().optional(),
        extraArgs: z.array(z.tuple([z.string(), z.string()])).optional()
      })
      .strict(),
    // Numbers: their ranges are the runtime's to check (it says what fits).
    memoryBytes: z.number().int().optional(),
    vcpus: z.number().int().optional(),
    storageBytes: z.number().int().optional(),
    vmm: choice(['auto', 'cloud-hypervisor', 'qemu']).optional(),
    image: z.string().min(1).optional(),
    accel: choice(['auto', 'kvm', 'tcg']).optional(),
    /** Install Docker in the guest at first boot (cloud images only). */
    docker: z.boolean().optional(),
    guestGraceSeconds: z.number().int().optional(),
    /** How the guest reaches its manager bridge: auto (the best the host has), vsock, or relay (over the VM's network). */
    bridge: choice(['auto', 'vsock', 'relay']).optional(),
    /** Further ports of the host's loopback the guest reaches at its gateway: loopback URLs (also rewritten where they are `extraEnv`/`extraArgs` values) or ports. */
    forward: z.array(z.string().max(2048)).max(32).optional(),
    /** Check that something answers at the RPC URLs before booting anything (default true). */
    rpcCheck: z.boolean().optional(),
    /** Relaunch it when its binary or keystore is rewritten (and then stays unchanged a moment); kept with the instance. */
    watch: z.boolean().optional()
  })
  .strict()

export type LaunchRequest = z.infer<typeof launchRequestSchema>

/** An instance's status (the shared vocabulary's). */
export type InstanceStatusName = InstanceStatus

/** One host port a service asked for (RequestPort): `url` reaches the same port on the guest. */
export interface BridgePort {
  port: number
  preferred: number
  url: string
  /** Whether the guest accepted the last connection forwarded to it (undefined: none tried yet). */
  guestAccepts?: boolean
  /** The port could not be held (taken by another program while the bridge was down). */
  problem?: string
}

/** The service's manager bridge: how it is reached, whether the service is connected, what it asked for. */
export interface BridgeSummary {
  transport: 'vsock' | 'vhost-user-vsock' | 'vhost-vsock' | 'relay' | 'none'
  /** Whether the bridge process runs (always false once the instance is stopped). */
  running: boolean
  /** Pings received, and when the last one came: the service is connected once it has pinged. */
  pings: number
  lastPingAt?: string
  serviceStartedAt?: string
  ports: BridgePort[]
  /** The service's auth-proxy registration, as stored (the proxy itself is not part of bpvm). */
  registration?: {
    serviceId: string
    apiKeyPrefix: string
    upstreamUrl: string
    owners: Array<{ keyType: 'UNKNOWN' | 'ECDSA' | 'SR25519'; key: string }>
    tls?: { enabled: boolean; requireClientMtls: boolean }
  }
  /** Something wrong with the link to the service (no Ping 60 s after start, the bridge down, unreadable state). */
  warning?: string
  /** Relay connections from anything but this guest, all refused. */
  refusedPeers?: number
}

/** A port of the host's loopback the guest reaches at its gateway address (`guest` → `host`), and what asked for it. */
export interface LoopbackForwardSummary {
  /** `172.30.0.1:9944`: where the guest connects. */
  guest: string
  /** `127.0.0.1:9944`: where that arrives on the host. */
  host: string
  /** `HTTP_RPC_URL`, `WS_RPC_URL`, or the URL or port the user marked. */
  for: string[]
}

/** One instance as the UI shows it; the status is derived at the time it is read. */
export interface InstanceSummary {
  name: string
  status: InstanceStatusName
  reason: string
  /** ISO time the status was reached. */
  since: string
  /** `launching`, `running`, `stopped`: where the lifecycle is, as recorded. */
  phase: 'launching' | 'running' | 'stopped'
  vmm: 'cloud-hypervisor' | 'qemu'
  image: string
  accel: 'auto' | 'kvm' | 'tcg'
  vcpus: number
  memoryBytes: number
  storageBytes: number
  guestAddress: string
  hostAddress: string
  tap: string
  createdAt: string
  /** Where its logs are, for "open the log folder". */
  logsDir: string
  /** cloud-init failures and warnings of this boot, each with its 1-based line in the guest log. */
  guestProblems?: Array<{ line: number; kind: 'failed' | 'warning'; text: string }>
  bridge?: BridgeSummary
  /** The host's loopback ports it reaches (while it runs: removed at teardown). */
  forwards: LoopbackForwardSummary[]
  /** Whether its binary and keystore are watched, and what the watch is doing (absent: launched by an older bpvm, so it cannot be relaunched). */
  watch?: WatchSummary
  /** Set when the instance's record cannot be used: it is listed (its file named), never acted on; the other fields are empty. */
  broken?: { file: string; problem: string }
}

/** The relaunch-on-change watch of one instance. */
export interface WatchSummary {
  enabled: boolean
  /** `here`: this process watches; `elsewhere`: another bpvm process does (pid); `nobody`: enabled, but no app or `bpvm launch --watch` runs. */
  by?: 'here' | 'elsewhere' | 'nobody'
  pid?: number
  /** What it is doing, in words: watching, waiting for a complete binary, relaunching, the last relaunch's end. */
  state?: string
  /** The last relaunch it started: when, and how it ended (`error` when it failed). */
  lastRelaunch?: { at: string; ok: boolean; message: string }
}

export const relaunchRequestSchema = z
  .object({
    name: instanceName,
    /** Seconds after the power button before the old VMM is killed; default: the grace setting. */
    graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional()
  })
  .strict()

export type RelaunchRequest = z.infer<typeof relaunchRequestSchema>

export const teardownRequestSchema = z
  .object({
    name: instanceName,
    force: z.boolean().optional(),
    /** Seconds after the power button before the VMM is killed; default: the grace setting. */
    graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
    /** Also delete the disks, logs and record. */
    purge: z.boolean().optional()
  })
  .strict()

export type TeardownRequest = z.infer<typeof teardownRequestSchema>

export const teardownAllRequestSchema = teardownRequestSchema.omit({ name: true })
export type TeardownAllRequest = z.infer<typeof teardownAllRequestSchema>

export type { TeardownResult }

export const instancesApi = {
  /** Starts a launch as a task; its progress arrives as `tasks:progress` events. */
  launch: channel<LaunchRequest, TaskInfo>('instances:launch', launchRequestSchema),
  list: channel<undefined, InstanceSummary[]>('instances:list', noRequest),
  get: channel<{ name: string }, InstanceSummary>('instances:get', z.object({ name: instanceName }).strict()),
  teardown: channel<TeardownRequest, TeardownResult>('instances:teardown', teardownRequestSchema),
  teardownAll: channel<TeardownAllRequest | undefined, TeardownResult[]>('instances:teardownAll', teardownAllRequestSchema.optional()),
  /** Stops it gracefully and launches it again with its saved launch, disks kept: one task, as `tasks:progress` events. */
  relaunch: channel<RelaunchRequest, TaskInfo>('instances:relaunch', relaunchRequestSchema),
  /** Turns relaunch-on-change on or off (a setting of the instance); answers the instance. */
  watch: channel<{ name: string; enabled: boolean }, InstanceSummary>('instances:watch', z.object({ name: instanceName, enabled: z.boolean() }).strict())
} as const
