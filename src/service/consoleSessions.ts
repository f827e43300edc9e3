import { randomUUID } from 'node:crypto'
import type { ConsoleAttachment, ConsoleEndedEvent, ConsoleOutputEvent } from '../shared/api'
import { BpvmError } from '../shared/errors'
import { viewConsole, type ConsoleViewer } from '../main/runtime/console/consoleClient'
import { instancePaths } from '../main/runtime/instance/instanceRecord'
import { requireInstance } from './instanceSummaries'

/** More sessions than any number of windows and tabs needs; a leak stops here. */
const MAX_SESSIONS = 64

export interface ConsoleSessions {
  attach(request: { name: string; rows?: number; cols?: number }): Promise<ConsoleAttachment>
  input(id: string, data: Buffer): void
  resize(id: string, rows: number, cols: number): void
  detach(id: string): void
  close(): void
}

export interface ConsoleEvents {
  output(event: ConsoleOutputEvent): void
  ended(event: ConsoleEndedEvent): void
}

/**
 * This process's viewers of instance consoles, one per attached client, each a connection to
 * the instance's console hub (which shares the console with every other viewer, in this process
 * or another: the CLI, a second window, the app after a restart).
 */
export function createConsoleSessions(events: ConsoleEvents): ConsoleSessions {
  const sessions = new Map<string, { name: string; viewer: ConsoleViewer }>()
  const sessionOf = (id: string) => {
    const session = sessions.get(id)
    if (!session) throw new BpvmError('CONSOLE_NOT_FOUND', `no console session ${id} (it ended, or was detached)`, { id })
    return session
  }
  return {
    async attach({ name, rows, cols }) {
      await requireInstance(name)
      if (sessions.size >= MAX_SESSIONS) throw new BpvmError('TOO_MANY_SUBSCRIPTIONS', `at most ${MAX_SESSIONS} console sessions at once; detach one first`, { limit: MAX_SESSIONS })
      const id = randomUUID()
      let screen: Buffer = Buffer.alloc(0)
      let attached = false
      const early: Buffer[] = []
      const viewer = await viewConsole(instancePaths(name).consoleHubSocket, name, {
        onScreen: (data) => (screen = data),
        onOutput: (data) => {
          if (attached) events.output({ subscription: id, name, data: data.toString('base64') })
          else early.push(data)
        },
        onEnd: (reason) => {
          if (sessions.delete(id)) events.ended({ subscription: id, name, reason })
        }
      })
      sessions.set(id, { name, viewer })
      if (rows !== undefined && cols !== undefined) viewer.resize(rows, cols)
      // The screen has arrived (viewConsole waits for it); output that came after it follows it.
      attached = true
      return { id, screen: Buffer.concat([screen, ...early]).toString('base64') }
    },
    input: (id, data) => sessionOf(id).viewer.input(data),
    resize: (id, rows, cols) => sessionOf(id).viewer.resize(rows, cols),
    detach(id) {
      sessionOf(id).viewer.detach()
      sessions.delete(id)
    },
    close() {
      for (const { viewer } of sessions.values()) viewer.detach()
      sessions.clear()
    }
  }
}
