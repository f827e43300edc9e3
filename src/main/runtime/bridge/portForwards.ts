import { connect, createServer, type Server, type Socket } from 'node:net'
import type { PortReserver } from './bridgeLogic'
import { joinWhenConnected } from './tcpPipe'

/** What a forward saw of the guest: whether its last connection was accepted there. */
export type GuestReach = (port: number, accepted: boolean) => void

/**
 * Host ports that reach the guest: each listens on 127.0.0.1:<port> and joins every connection
 * to <guest>:<port>. The listener itself is the reservation, so no other program (and no other
 * instance) can take the port while the bridge holds it.
 */
export class PortForwards implements PortReserver {
  private readonly servers = new Map<number, Server>()
  private readonly sockets = new Set<Socket>()

  constructor(
    private readonly guestAddress: string,
    private readonly onReach: GuestReach = () => undefined
  ) {}

  get ports(): number[] {
    return [...this.servers.keys()]
  }

  /** Listens on 127.0.0.1:<port> (0: a port the OS picks); the port held, or undefined when it is in use. */
  async reserve(port: number): Promise<number | undefined> {
    const server = createServer({ pauseOnConnect: true }, (client) => this.forward(client, server))
    const held = await new Promise<number | undefined>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(undefined) : reject(error)))
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        const address = server.address()
        resolve(typeof address === 'object' && address ? address.port : undefined)
      })
    })
    if (held === undefined) return undefined
    server.on('error', () => undefined)
    // The guest's port is the one given out, so the service binds what it was told.
    this.servers.set(held, server)
    return held
  }

  private forward(client: Socket, server: Server): void {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    joinWhenConnected(client, connect({ host: this.guestAddress, port }), this.sockets, (accepted) => this.onReach(port, accepted))
  }

  async closeAll(): Promise<void> {
    const servers = [...this.servers.values()]
    this.servers.clear()
    for (const socket of this.sockets) socket.destroy()
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
  }
}
