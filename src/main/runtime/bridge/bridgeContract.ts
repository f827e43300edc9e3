import { fileURLToPath } from 'node:url'
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'

/**
 * The bridge's gRPC contract, `bridge.proto` kept verbatim beside this module (its source is in
 * README.md here). The build copies it beside the built code (electron.vite.config.ts).
 */
export const BRIDGE_PROTO = fileURLToPath(new URL('./bridge.proto', import.meta.url))

/** The port a guest dials on the host (CID 2) to reach its manager's bridge. */
export const BRIDGE_VSOCK_PORT = 8000

/**
 * How messages look in JavaScript: field names as in the .proto (snake_case, as tonic writes
 * them), u64 ids as decimal text (no precision lost), enums by name, bytes as Buffers, every
 * field present with its default, and `optional` fields absent when unset.
 */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true }

export type KeyType = 'UNKNOWN' | 'ECDSA' | 'SR25519'

export interface ServiceOwnerMessage {
  key_type: KeyType
  key_bytes: Buffer
}

export interface TlsProfileMessage {
  tls_enabled: boolean
  require_client_mtls: boolean
  encrypted_server_cert: Buffer
  encrypted_server_key: Buffer
  encrypted_client_ca_bundle: Buffer
  encrypted_upstream_ca_bundle: Buffer
  encrypted_upstream_client_cert: Buffer
  encrypted_upstream_client_key: Buffer
  client_cert_ttl_hours: number
  sni?: string
  subject_alt_name_template?: string
  allowed_dns_names: string[]
}

export interface PortRequestMessage {
  preferred_port: number
}

export interface RegisterRequestMessage {
  service_id: string
  api_key_prefix: string
  upstream_url: string
  owners: ServiceOwnerMessage[]
  tls_profile?: TlsProfileMessage
}

export interface ServiceIdMessage {
  service_id: string
}

export interface AddOwnerRequestMessage extends ServiceIdMessage {
  owner_to_add?: ServiceOwnerMessage
}

export interface RemoveOwnerRequestMessage extends ServiceIdMessage {
  owner_to_remove?: ServiceOwnerMessage
}

export interface UpdateTlsRequestMessage extends ServiceIdMessage {
  tls_profile?: TlsProfileMessage
}

let loaded: ServiceClientConstructor | undefined

/** The `BlueprintManagerBridge` service: its definition for a server, and a client constructor. */
export function bridgeService(): ServiceClientConstructor {
  if (loaded) return loaded
  const definition = loadPackageDefinition(loadSync(BRIDGE_PROTO, LOADER_OPTIONS))
  const bridgePackage = definition.blueprint_manager_bridge as GrpcObject
  loaded = bridgePackage.BlueprintManagerBridge as ServiceClientConstructor
  return loaded
}

export const bridgeServiceDefinition = (): ServiceDefinition => bridgeService().service
