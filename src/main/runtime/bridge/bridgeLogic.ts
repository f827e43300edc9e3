import { status as GrpcStatus } from '@grpc/grpc-js'
import type { RegisterRequestMessage, ServiceOwnerMessage, TlsProfileMessage } from './bridgeContract'
import type { BridgeConfig, BridgeState, StoredOwner, StoredRegistration, StoredTls } from './bridgeFiles'

/** A call the bridge refuses, with the gRPC status the upstream manager answers it with. */
export class BridgeFault extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string
  ) {
    super(message)
  }
}

/** Where ports come from: reserves one on the host and makes it reach the guest. */
export interface PortReserver {
  /** Listens on the port (0: any the OS picks) and forwards it; the port actually held, or undefined when it is taken. */
  reserve(port: number): Promise<number | undefined>
}

const LIMITS = { text: 2048, owners: 256, keyBytes: 256, dnsNames: 256 }
/** Ports below this are the host's own services: a preferred port there is never given, another one is. */
const FIRST_UNPRIVILEGED_PORT = 1024

/**
 * The bridge's answers, as the upstream manager's server gives them, on state this process
 * keeps: one service id, one proxy registration, the ports it holds, when it was last pinged.
 * `save` is called after every change.
 */
export class BridgeLogic {
  private portQueue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly config: BridgeConfig,
    private state: BridgeState,
    private readonly ports: PortReserver,
    private readonly save: (state: BridgeState) => void,
    private readonly now: () => Date = () => new Date()
  ) {}

  get current(): BridgeState {
    return this.state
  }

  /** A change the bridge makes itself (what a forward saw, a refused peer), saved like the others. */
  amend(change: (state: BridgeState) => BridgeState): void {
    this.update(change(this.state))
  }

  ping(): void {
    const at = this.now().toISOString()
    const state = { ...this.state }
    delete state.warning
    this.update({ ...state, pings: state.pings + 1, firstPingAt: state.firstPingAt ?? at, lastPingAt: at })
  }

  /** One at a time, so the per-instance limit holds under a flood of calls. */
  requestPort(preferred: number): Promise<number> {
    const next = this.portQueue.then(() => this.reservePort(preferred))
    this.portQueue = next.catch(() => undefined)
    return next
  }

  private async reservePort(preferred: number): Promise<number> {
    if (!Number.isInteger(preferred) || preferred < 0 || preferred > 65535) {
      throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, `preferred_port must be from 0 to 65535, got ${preferred}`)
    }
    const held = this.state.ports.find((p) => p.port === preferred && p.problem === undefined)
    if (held && preferred !== 0) return held.port
    const counted = this.state.ports.filter((p) => !(p.port === preferred && p.problem !== undefined)).length
    if (counted >= this.config.maxPorts) {
      throw new BridgeFault(GrpcStatus.RESOURCE_EXHAUSTED, `this instance already holds ${counted} ports, the most one instance may hold (${this.config.maxPorts})`)
    }
    const wanted = preferred >= FIRST_UNPRIVILEGED_PORT ? await this.ports.reserve(preferred) : undefined
    const port = wanted ?? (await this.ports.reserve(0))
    if (port === undefined) throw new BridgeFault(GrpcStatus.UNAVAILABLE, 'the host has no free port to give')
    // A port lost while the bridge was down and held again replaces its entry.
    const others = this.state.ports.filter((p) => p.port !== port)
    this.update({ ...this.state, ports: [...others, { port, preferred, reservedAt: this.now().toISOString() }] })
    return port
  }

  register(request: RegisterRequestMessage): void {
    this.checkServiceId(request.service_id)
    const tls = request.tls_profile === undefined ? undefined : storedTls(request.tls_profile)
    checkText('api_key_prefix', request.api_key_prefix)
    checkUpstream(request.upstream_url)
    if (request.owners.length > LIMITS.owners) throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, `owners: at most ${LIMITS.owners}, got ${request.owners.length}`)
    const owners: StoredOwner[] = []
    for (const owner of request.owners) if (!owners.some((o) => sameOwner(o, storedOwner(owner, 'owners')))) owners.push(storedOwner(owner, 'owners'))
    // As upstream: registering again on the bridge that holds the registration replaces it.
    const at = this.now().toISOString()
    const registration: StoredRegistration = {
      serviceId: request.service_id,
      apiKeyPrefix: request.api_key_prefix,
      upstreamUrl: request.upstream_url,
      owners,
      ...(tls ? { tls } : {}),
      registeredAt: this.state.registration?.registeredAt ?? at,
      updatedAt: at
    }
    this.update({ ...this.state, registration })
  }

  unregister(serviceId: string): void {
    this.registered(serviceId)
    const rest = { ...this.state }
    delete rest.registration
    this.update(rest)
  }

  addOwner(serviceId: string, owner: ServiceOwnerMessage | undefined): void {
    const registration = this.registered(serviceId)
    if (!owner) throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, 'owner_to_add is required')
    const adding = storedOwner(owner, 'owner_to_add')
    if (registration.owners.some((o) => sameOwner(o, adding))) return
    if (registration.owners.length >= LIMITS.owners) throw new BridgeFault(GrpcStatus.RESOURCE_EXHAUSTED, `the service already has ${LIMITS.owners} owners, the most it may have`)
    this.changeRegistration({ ...registration, owners: [...registration.owners, adding] })
  }

  removeOwner(serviceId: string, owner: ServiceOwnerMessage | undefined): void {
    const registration = this.registered(serviceId)
    if (!owner) throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, 'owner_to_remove is required')
    const removing = storedOwner(owner, 'owner_to_remove')
    this.changeRegistration({ ...registration, owners: registration.owners.filter((o) => !sameOwner(o, removing)) })
  }

  updateTls(serviceId: string, profile: TlsProfileMessage | undefined): void {
    const registration = { ...this.registered(serviceId) }
    delete registration.tls
    const tls = profile === undefined ? undefined : storedTls(profile)
    this.changeRegistration(tls ? { ...registration, tls } : registration)
  }

  private registered(serviceId: string): StoredRegistration {
    this.checkServiceId(serviceId)
    if (!this.state.registration) throw new BridgeFault(GrpcStatus.FAILED_PRECONDITION, 'No service registered on this bridge')
    return this.state.registration
  }

  private checkServiceId(serviceId: string): void {
    if (serviceId !== this.config.serviceId) {
      throw new BridgeFault(GrpcStatus.PERMISSION_DENIED, `this bridge serves service ${this.config.serviceId}, not ${serviceId}`)
    }
  }

  private changeRegistration(registration: StoredRegistration): void {
    this.update({ ...this.state, registration: { ...registration, updatedAt: this.now().toISOString() } })
  }

  private update(state: BridgeState): void {
    this.state = state
    this.save(state)
  }
}

function checkText(field: string, text: string): void {
  if (text.length > LIMITS.text) throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, `${field}: at most ${LIMITS.text} characters, got ${text.length}`)
}

function checkUpstream(url: string): void {
  checkText('upstream_url', url)
  const parsed = URL.canParse(url) ? new URL(url) : undefined
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
    throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, `upstream_url must be an http:// or https:// URL, got ${JSON.stringify(url.slice(0, 200))}`)
  }
}

function storedOwner(owner: ServiceOwnerMessage, field: string): StoredOwner {
  if (owner.key_bytes.length === 0) throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, `${field}: key_bytes is empty`)
  if (owner.key_bytes.length > LIMITS.keyBytes) throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, `${field}: key_bytes holds at most ${LIMITS.keyBytes} bytes, got ${owner.key_bytes.length}`)
  return { keyType: owner.key_type, key: owner.key_bytes.toString('hex') }
}

const sameOwner = (a: StoredOwner, b: StoredOwner): boolean => a.keyType === b.keyType && a.key === b.key

/** As the upstream checks it: TLS on needs the server's certificate and key; mTLS needs the client CA bundle. */
function storedTls(profile: TlsProfileMessage): StoredTls {
  if (profile.tls_enabled && (profile.encrypted_server_cert.length === 0 || profile.encrypted_server_key.length === 0)) {
    throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, 'tls_profile: TLS is enabled but the server certificate or key is missing')
  }
  if (profile.require_client_mtls && profile.encrypted_client_ca_bundle.length === 0) {
    throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, 'tls_profile: client mTLS is required but the client CA bundle is missing')
  }
  if (profile.allowed_dns_names.length > LIMITS.dnsNames) throw new BridgeFault(GrpcStatus.INVALID_ARGUMENT, `tls_profile.allowed_dns_names: at most ${LIMITS.dnsNames}`)
  const parts = (['server_cert', 'server_key', 'client_ca_bundle', 'upstream_ca_bundle', 'upstream_client_cert', 'upstream_client_key'] as const).filter(
    (part) => profile[`encrypted_${part}`].length > 0
  )
  if (profile.sni !== undefined) checkText('tls_profile.sni', profile.sni)
  return {
    enabled: profile.tls_enabled,
    requireClientMtls: profile.require_client_mtls,
    parts: [...parts],
    clientCertTtlHours: profile.client_cert_ttl_hours,
    ...(profile.sni === undefined ? {} : { sni: profile.sni }),
    allowedDnsNames: profile.allowed_dns_names.map((name) => name.slice(0, 253))
  }
}
