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
