import type { WebSocket } from 'ws'

/** A connected API socket that keeps every frame it received, so none is missed by a late wait. */
export interface FrameLog {
  socket: WebSocket
  frames: Record<string, unknown>[]
  send(frame: unknown): void
  /** The first frame (received before or after the call) that passes `test`. */
  next(test: (frame: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Sends a call and resolves with its `result`. */
  call(channel: string, request?: unknown, timeoutMs?: number): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>
  close(): Promise<void>
}

let callIds = 0

export function frameLog(socket: WebSocket): FrameLog {
  const frames: Record<string, unknown>[] = []
  const wakers = new Set<() => void>()
  socket.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Record<string, unknown>)
    for (const wake of [...wakers]) wake()
  })
  const next: FrameLog['next'] = (test, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = frames.find(test)
        if (!found) return
        clearTimeout(timer)
        wakers.delete(check)
        resolve(found)
      }
      const timer = setTimeout(() => {
        wakers.delete(check)
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`))
      }, timeoutMs)
      wakers.add(check)
      check()
    })
  return {
    socket,
    frames,
    send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    next,
    async call(channel, request, timeoutMs) {
      const id = ++callIds
      socket.send(JSON.stringify({ id, channel, request }))
      return (await next((f) => f.id === id, timeoutMs)).result as Awaited<ReturnType<FrameLog['call']>>
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === socket.CLOSED) return resolve()
        socket.once('close', () => resolve())
        socket.close()
      })
  }
}
