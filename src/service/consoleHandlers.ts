import { API } from '../shared/api'
import { handle, type HandlerEntry } from './channelHandler'
import type { ConsoleSessions } from './consoleSessions'

export function consoleHandlers(sessions: ConsoleSessions): HandlerEntry[] {
  return [
    handle(API.console.attach, (request) => sessions.attach(request)),
    handle(API.console.input, async ({ id, data }) => {
      sessions.input(id, Buffer.from(data, 'base64'))
      return { id }
    }),
    handle(API.console.resize, async ({ id, rows, cols }) => {
      sessions.resize(id, rows, cols)
      return { id }
    }),
    handle(API.console.detach, async ({ id }) => {
      sessions.detach(id)
      return { id }
    })
  ]
}
