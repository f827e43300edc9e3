import { chmod, unlink } from 'node:fs/promises'
import { Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js'
import { bridgeServiceDefinition, type AddOwnerRequestMessage, type PortRequestMessage, type RegisterRequestMessage, type RemoveOwnerRequestMessage, type ServiceIdMessage, type UpdateTlsRequestMessage } from './bridgeContract'
import { clearStaleSocket } from '../vmm/staleSocket'
import { BridgeFault, type BridgeLogic } from './bridgeLogic'

/** No bridge message comes near this; anything bigger is refused by gRPC itself (RESOURCE_EXHAUSTED). */
export const MAX_BRIDGE_MESSAGE_BYTES = 64 * 1024
const SERVER_OPTIONS = {
  'grpc.max_receive_message_length': MAX_BRIDGE_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_BRIDGE_MESSAGE_BYTES,
  'grpc.max_concurrent_streams': 16
}

type Handler<Request, Reply> = (request: Request) => Reply | Promise<Reply>

/** One unary method: the logic's answer, or its fault as a gRPC status; never a thrown error. */
function unary<Request, Reply>(handler: Handler<Request, Reply>, log: (line: string) => void) {
  return (call: ServerUnaryCall<Request, Reply>, callback: sendUnaryData<Reply>): void => {
    Promise.resolve()
      .then(() => handler(call.request))
      .then(
        (reply) => callback(null, reply),
        (error: unknown) => {
          if (error instanceof BridgeFault) return callback({ code: error.code, details: error.message })
          log(`internal error: ${(error as Error).message}`)
          callback({ code: GrpcStatus.INTERNAL, details: 'the bridge failed to answer; see its log' })
        }
      )
  }
}

/** The gRPC methods of `BlueprintManagerBridge` on `logic`; `log` is told what each call changed. */
function implementation(logic: BridgeLogic, log: (line: string) => void): UntypedServiceImplementation {
  const empty = {}
  return {
    Ping: unary(() => (logic.ping(), empty), log),
    RequestPort: unary(async ({ preferred_port }: PortRequestMessage) => {
      const port = await logic.requestPort(preferred_port)
      log(`port ${port} reserved (preferred ${preferred_port})`)
      return { port }
    }, log),
    RegisterBlueprintServiceProxy: unary((request: RegisterRequestMessage) => {
      logic.register(request)
      log(`service ${request.service_id} registered its proxy (upstream ${request.upstream_url})`)
      return empty
    }, log),
    UnregisterBlueprintServiceProxy: unary(({ service_id }: ServiceIdMessage) => (logic.unregister(service_id), log(`service ${service_id} unregistered`), empty), log),
    AddOwnerToService: unary(({ service_id, owner_to_add }: AddOwnerRequestMessage) => (logic.addOwner(service_id, owner_to_add), empty), log),
    RemoveOwnerFromService: unary(({ service_id, owner_to_remove }: RemoveOwnerRequestMessage) => (logic.removeOwner(service_id, owner_to_remove), empty), log),
    UpdateBlueprintServiceTlsProfile: unary(({ service_id, tls_profile }: UpdateTlsRequestMessage) => (logic.updateTls(service_id, tls_profile), empty), log)
  }
}

/** A gRPC server (plaintext HTTP/2, as tonic clients speak it) answering for `logic` on Unix sockets only. */
export async function serveBridge(logic: BridgeLogic, sockets: readonly string[], log: (line: string) => void): Promise<{ close: () => Promise<void> }> {
  const server = new Server(SERVER_OPTIONS)
  server.addService(bridgeServiceDefinition(), implementation(logic, log))
  try {
    for (const socket of sockets) {
      await clearStaleSocket(socket)
      await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socket}`, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())))
      await chmod(socket, 0o600)
    }
  } catch (error) {
    server.forceShutdown()
    throw error
  }
  return {
    close: async () => {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 2_000)
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      })
      await Promise.all(sockets.map((socket) => unlink(socket).catch(() => undefined)))
    }
  }
}
