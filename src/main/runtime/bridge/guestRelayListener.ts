import { connect, createServer, type Socket } from 'node:net'
import { joinWhenConnected } from './tcpPipe'

export interface GuestRelayOptions {
  /** The TAP's host address and the port the guest's relay dials. */
  hostAddress: string
  port: number
  /** The one peer allowed: the instance's own guest. */
  guestAddress: string
  /** The bridge's gRPC socket every accepted connection is joined to. */
  bridgeSocket: string
  onRefused: (peer: string) => void
}

/** `::ffff:a.b.c.d` (an IPv4 peer on a dual-stack socket) as `a.b.c.d`. */
const plainIpv4 = (address: string | undefined): string => (address ?? '').replace(/^::ffff:/, '')

/**
 * The bridge's way in for guests without vsock: a TCP listener on the instance's TAP address
 * that accepts only the instance's own guest address (another VM, or anything else, is cut off
 * before a byte is read) and joins the connection to the bridge's Unix socket.
 */
export async function listenForGuestRelay(options: GuestRelayOptions): Promise<{ close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer({ pauseOnConnect: true }, (client) => {
    const peer = plainIpv4(client.remoteAddress)
    if (peer !== options.guestAddress) {
      options.onRefused(peer)
      client.destroy()
      return
    }
    joinWhenConnected(client, connect(options.bridgeSocket), sockets)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: options.hostAddress, port: options.port, exclusive: true }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', () => undefined)
  return {
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
