import type { Socket } from 'node:net'

/**
 * Joins two connected sockets both ways. Either side ending ends the other's writing side (a
 * half-close goes through); an error on either destroys both.
 */
export function joinSockets(a: Socket, b: Socket): void {
  const destroyBoth = (): void => {
    a.destroy()
    b.destroy()
  }
  a.on('error', destroyBoth)
  b.on('error', destroyBoth)
  a.pipe(b)
  b.pipe(a)
  a.on('close', () => b.destroy())
  b.on('close', () => a.destroy())
}

/**
 * Dials `upstream` for an accepted, paused `client`: once it connects, joins the two and lets
 * the client's bytes flow; if it fails first, closes both. Both sockets stay in `open` while
 * they live, so their owner can close them all at once. Says whether the dial succeeded.
 */
export function joinWhenConnected(client: Socket, upstream: Socket, open: Set<Socket>, onDialed: (connected: boolean) => void = () => undefined): void {
  for (const socket of [client, upstream]) {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
  }
  let joined = false
  upstream.once('connect', () => {
    joined = true
    onDialed(true)
    joinSockets(client, upstream)
    client.resume()
  })
  upstream.once('error', () => {
    if (!joined) onDialed(false)
    client.destroy()
    upstream.destroy()
  })
}
