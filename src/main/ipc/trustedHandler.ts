import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import { API_ERROR_CODES } from '../../shared/api/channel'
import { fail, type Result } from '../../shared/result'
import { toErrorInfo } from '../../shared/errors'
import { isOwnSender } from '../security'

/** Only `handle` is needed, which keeps handlers testable without Electron. */
export type IpcRegistrar = Pick<IpcMain, 'handle'>

export type TrustedCall = (request: unknown, event: IpcMainInvokeEvent) => Promise<Result<unknown>>

/**
 * Registers an invoke handler that answers only our own pages and always replies with a Result:
 * Electron would keep just the message of a thrown error, so nothing is thrown across IPC.
 */
export function handleTrusted(ipc: IpcRegistrar, channel: string, run: TrustedCall): void {
  ipc.handle(channel, async (event: IpcMainInvokeEvent, request: unknown): Promise<Result<unknown>> => {
    if (!isOwnSender(event.senderFrame)) {
      return fail({ code: API_ERROR_CODES.forbidden, message: `${channel}: refused a call from a page that is not part of the app` })
    }
    try {
      return await run(request, event)
    } catch (error) {
      const info = toErrorInfo(error)
      // Unexpected failures reach the renderer as a message only; keep the stack in the main log.
      if (info.code === API_ERROR_CODES.internal) console.error(`${channel} failed`, error)
      return fail(info)
    }
  })
}
