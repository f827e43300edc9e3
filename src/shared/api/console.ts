import { z } from 'zod'
import { channel } from './channel'

const instanceName = z.string().min(1).max(64)
const sessionId = z.string().min(1).max(64)
const rows = z.number().int().min(1).max(1000)
const cols = z.number().int().min(1).max(1000)
/** At most 64 KiB of keys a call, as base64 (the terminal's bytes are not always text). */
const keys = z.string().max(Math.ceil((64 * 1024) / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')

export interface ConsoleAttachment {
  /** The session: its output arrives as `console:output` events with this `subscription`. */
  id: string
  /** The last of what the console printed (base64): the screen as the other viewers see it. */
  screen: string
}

/** New output of an attached console (base64), for the client that attached only. */
export interface ConsoleOutputEvent {
  subscription: string
  name: string
  data: string
}

/** The console went (the VM stopped); the session is over. */
export interface ConsoleEndedEvent {
  subscription: string
  name: string
  reason: string
}

/**
 * The instance's interactive console: a root shell in the guest, apart from its serial log. Any
 * number of clients may attach at once and see the same screen; a client that goes (a window
 * reloaded or closed, a socket closed) is detached by itself.
 */
export const consoleApi = {
  attach: channel<{ name: string; rows?: number; cols?: number }, ConsoleAttachment>('console:attach', z.object({ name: instanceName, rows: rows.optional(), cols: cols.optional() }).strict()),
  input: channel<{ id: string; data: string }, { id: string }>('console:input', z.object({ id: sessionId, data: keys }).strict()),
  resize: channel<{ id: string; rows: number; cols: number }, { id: string }>('console:resize', z.object({ id: sessionId, rows, cols }).strict()),
  detach: channel<{ id: string }, { id: string }>('console:detach', z.object({ id: sessionId }).strict())
} as const
