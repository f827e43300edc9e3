import type { ErrorInfo } from '../../../shared/result'
import { call, listen } from '../stores/apiAccess'

const encoder = new TextEncoder()

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export interface ConsoleSession {
  /** Keys typed (text from the terminal, as UTF-8). */
  type(text: string): void
  resize(rows: number, cols: number): void
  detach(): void
}

export interface ConsoleSessionEvents {
  /** The screen on attaching, then each new output. */
  output(bytes: Uint8Array): void
  ended(reason: string): void
}

/** Attaches to an instance's console through the API; events arrive for this session only. */
export async function openConsoleSession(name: string, size: { rows: number; cols: number }, on: ConsoleSessionEvents): Promise<ConsoleSession | ErrorInfo> {
  let id: string | undefined = undefined
  const early: Array<{ subscription: string; data: string }> = []
  const stopOutput = listen('console:output', (event) => {
    if (id === undefined) early.push(event)
    else if (event.subscription === id) on.output(fromBase64(event.data))
  })
  const stopEnded = listen('console:ended', (event) => {
    if (event.subscription === id) {
      stop()
      on.ended(event.reason)
    }
  })
  const stop = (): void => {
    stopOutput()
    stopEnded()
  }
  const attached = await call((api) => api.console.attach({ name, rows: size.rows, cols: size.cols }))
  if (!attached.ok) {
    stop()
    return attached.error
  }
  id = attached.value.id
  on.output(fromBase64(attached.value.screen))
  for (const event of early) if (event.subscription === id) on.output(fromBase64(event.data))
  const session = id
  // One input call at a time, keys typed meanwhile sent together after it: order is kept and a
  // paste never has more calls in flight than a connection may.
  let queued = ''
  let sending = false
  const flush = async (): Promise<void> => {
    sending = true
    while (queued !== '') {
      const data = toBase64(encoder.encode(queued.slice(0, 16 * 1024)))
      queued = queued.slice(16 * 1024)
      await call((api) => api.console.input({ id: session, data }))
    }
    sending = false
  }
  return {
    type: (text) => {
      queued += text
      if (!sending) void flush()
    },
    resize: (rows, cols) => void call((api) => api.console.resize({ id: session, rows, cols })),
    detach: () => {
      stop()
      void call((api) => api.console.detach({ id: session }))
    }
  }
}
