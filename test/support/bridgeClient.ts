import { credentials, type Client, type ServiceError } from '@grpc/grpc-js'
import { bridgeService } from '../../src/main/runtime/bridge/bridgeContract'

type Call = (request: unknown, callback: (error: ServiceError | null, reply: unknown) => void) => void

/** A real gRPC client of the bridge contract (`@grpc/grpc-js`), dialing a Unix socket or host:port; for the tests and bench:bridge. */
export class BridgeTestClient {
  private readonly client: Client & Record<string, Call>

  constructor(target: string, options: Record<string, number> = {}) {
    const Service = bridgeService()
    this.client = new Service(target, credentials.createInsecure(), options) as unknown as Client & Record<string, Call>
  }

  static unix(socket: string, options?: Record<string, number>): BridgeTestClient {
    return new BridgeTestClient(`unix:${socket}`, options)
  }

  call<Reply = Record<string, never>>(method: string, request: unknown = {}): Promise<Reply> {
    const fn = this.client[method]
    if (typeof fn !== 'function') throw new Error(`no method ${method}`)
    return new Promise((resolve, reject) => fn.call(this.client, request, (error, reply) => (error ? reject(error) : resolve(reply as Reply))))
  }

  /** The status code the call fails with, or `OK`. */
  async statusOf(method: string, request: unknown = {}): Promise<{ code: number; details: string }> {
    try {
      await this.call(method, request)
      return { code: 0, details: '' }
    } catch (error) {
      const failure = error as ServiceError
      return { code: failure.code, details: failure.details }
    }
  }

  close(): void {
    this.client.close()
  }
}
