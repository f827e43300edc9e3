import { API_ERROR_CODES } from '../shared/api'
import { fail, type Result } from '../shared/result'
import type { ApiBackend } from '../service/apiBackend'
import type { WorkerPort } from './workerPort'
import { validateCall } from '../shared/api/validate'

const messageOf = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))

/**
 * Answers every call the parent sends, whatever goes wrong on the way: a call that fails is an
 * error envelope, and an answer the port cannot carry (Electron's postMessage throws on a value
 * it cannot clone) is replaced by an INTERNAL error saying so. A call never goes unanswered,
 * since an Electron utility process only warns about a failure nobody catches and keeps running.
 */
export function serveCalls(port: WorkerPort, service: ApiBackend): void {
  function answer(id: number, channel: string, result: Result<unknown>): void {
    try {
      port.send({ type: 'result', id, result })
    } catch (error) {
      console.error(`the answer to ${channel} could not be sent`, error)
      try {
        port.send({ type: 'result', id, result: fail({ code: API_ERROR_CODES.internal, message: `${channel}: the runtime's answer could not be sent to the app (${messageOf(error)})` }) })
      } catch (again) {
        // The channel itself is gone: the parent hears the exit and fails the call.
        console.error(`no answer to ${channel} could be sent`, again)
      }
    }
  }

  port.onMessage((message) => {
    if (message.type !== 'call') return
    const { id, channel, request } = message
    // The same check every transport makes: the message is data from another process.
    const checked = validateCall(channel, request)
    Promise.resolve()
      .then(() => (checked.ok ? service.call(checked.value.channel, checked.value.request) : checked))
      .catch((error: unknown) => fail({ code: API_ERROR_CODES.internal, message: `${channel} failed: ${messageOf(error)}` }))
      .then((result) => answer(id, channel, result))
  })

  service.onEvent((event, payload) => {
    try {
      port.send({ type: 'event', event, payload })
    } catch (error) {
      console.error(`the ${event} event could not be sent`, error)
    }
  })
}
