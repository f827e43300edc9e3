import { readFile, rename } from 'node:fs/promises'
import { isAbsolute, join, resolve, sep } from 'node:path'
import { z } from 'zod'
import { writeJsonAtomic } from '../state/atomicJson'
import { parseJsonWith } from '../state/parseJson'

/** How a guest reaches its bridge; said in the launch log and `bpvm ls`. */
export const BRIDGE_TRANSPORTS = ['vsock', 'vhost-user-vsock', 'vhost-vsock', 'relay'] as const
export type BridgeTransport = (typeof BRIDGE_TRANSPORTS)[number]

/** Written by the launch before the bridge starts: what the bridge serves and where. */
const configSchema = z.object({
  version: z.literal(1),
  instance: z.string(),
  /** The instance's SERVICE_ID, as decimal text: every proxy call must name it. */
  serviceId: z.string().regex(/^\d+$/),
  guestAddress: z.string(),
  hostAddress: z.string(),
  transport: z.enum(BRIDGE_TRANSPORTS),
  /** Unix sockets the gRPC server listens on: the host's own, and `<vsock socket>_8000` for vsock guests. */
  sockets: z.array(z.string()).min(1),
  /** Relay transport: the TCP port on `hostAddress` that only `guestAddress` may connect to. */
  relayPort: z.number().int().min(1).max(65535).optional(),
  /** How many host ports one instance may hold. */
  maxPorts: z.number().int().min(0).max(1024),
  /** The guest's serial log, where the service's start shows. */
  serialLog: z.string(),
  /** The service runs with `--test-mode` and never dials its bridge. */
  testMode: z.boolean(),
  /** A service that has not pinged this long after it started is warned about. */
  pingWarningSeconds: z.number().int().min(1)
})

export type BridgeConfig = z.infer<typeof configSchema>

const ownerSchema = z.object({ keyType: z.enum(['UNKNOWN', 'ECDSA', 'SR25519']), key: z.string().regex(/^[0-9a-f]*$/) })
export type StoredOwner = z.infer<typeof ownerSchema>

/**
 * What a TLS profile said, without its secrets: the auth proxy that would use the encrypted
 * certificate and keys is not part of bpvm, so only which parts were given is kept.
 */
const tlsSchema = z.object({
  enabled: z.boolean(),
  requireClientMtls: z.boolean(),
  parts: z.array(z.string()),
  clientCertTtlHours: z.number(),
  sni: z.string().optional(),
  allowedDnsNames: z.array(z.string())
})
export type StoredTls = z.infer<typeof tlsSchema>

const registrationSchema = z.object({
  serviceId: z.string(),
  apiKeyPrefix: z.string(),
  upstreamUrl: z.string(),
  owners: z.array(ownerSchema),
  tls: tlsSchema.optional(),
  registeredAt: z.string(),
  updatedAt: z.string()
})
export type StoredRegistration = z.infer<typeof registrationSchema>

const portSchema = z.object({
  port: z.number().int(),
  preferred: z.number().int(),
  reservedAt: z.string(),
  /** Whether the guest accepted the last forwarded connection, and when that was seen. */
  guestAccepts: z.boolean().optional(),
  checkedAt: z.string().optional(),
  /** Set when the port could not be listened on again after a bridge restart. */
  problem: z.string().optional()
})
export type StoredPort = z.infer<typeof portSchema>

/** Kept by the bridge in `bridge-state.json`: survives a restart of the bridge. */
const stateSchema = z.object({
  version: z.literal(1),
  pings: z.number().int(),
  firstPingAt: z.string().optional(),
  lastPingAt: z.string().optional(),
  ports: z.array(portSchema),
  registration: registrationSchema.optional(),
  /** When the bridge saw the service start (its marker in the serial log). */
  serviceStartedAt: z.string().optional(),
  /** What is wrong with the link to the service, for the status. */
  warning: z.string().optional(),
  /** Connections to the relay port from anything but the instance's guest, all refused. */
  refusedPeers: z.number().int().optional(),
  lastRefusedPeer: z.string().optional()
})

export type BridgeState = z.infer<typeof stateSchema>

export const emptyBridgeState = (): BridgeState => ({ version: 1, pings: 0, ports: [] })

export const bridgeFiles = (dir: string) => ({
  config: join(dir, 'bridge.json'),
  state: join(dir, 'bridge-state.json'),
  /** The gRPC server's own socket on the host (host clients, the relay's target). */
  socket: join(dir, 'bridge.sock')
})

export async function writeBridgeConfig(file: string, config: BridgeConfig): Promise<void> {
  await writeJsonAtomic(file, configSchema.parse(config))
}

/**
 * The configuration in `dir`. Every socket it binds and the serial log it reads must lie inside
 * `dir`: a crafted file can never make the bridge (root, like bpvm) bind or read elsewhere.
 */
export async function readBridgeConfig(dir: string): Promise<BridgeConfig> {
  const file = bridgeFiles(dir).config
  const config = parseJsonWith(await readFile(file, 'utf8'), configSchema)
  if (!config) throw new Error(`${file} is not a valid bridge configuration`)
  const inside = (path: string): boolean => resolve(dir, path).startsWith(`${resolve(dir)}${sep}`)
  const outside = [...config.sockets, config.serialLog].filter((path) => !isAbsolute(path) || !inside(path))
  if (outside.length > 0) throw new Error(`${file} names paths outside ${dir}: ${outside.join(', ')}`)
  return config
}

/** The bridge's state, or undefined when there is none; a file that is not valid state is a problem, reported. */
export async function readBridgeState(file: string): Promise<{ state?: BridgeState; problem?: string }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    return { problem: `${file} could not be read: ${(error as Error).message}` }
  }
  const state = parseJsonWith(text, stateSchema)
  return state ? { state } : { problem: `${file} is not valid bridge state` }
}

/** Moves a state file that is not valid aside (`.corrupt`), so the bridge can start afresh and the file stays for a look. */
export async function setAsideBridgeState(file: string): Promise<string> {
  await rename(file, `${file}.corrupt`)
  return `${file}.corrupt`
}

export async function writeBridgeState(file: string, state: BridgeState): Promise<void> {
  await writeJsonAtomic(file, state)
}
