import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import { fail, ok, type Result } from '../../shared/result'
import { toErrorInfo } from '../runtime/errors'
import { isOwnSender } from '../security'

/** Only `handle` is needed, which keeps handlers testable without Electron. */
export type IpcRegistrar = Pick<IpcMain, 'handle'>

/**
 * Registers an invoke handler that answers only our own pages and always replies with a Result:
 * Electron would keep just the message of a thrown error, so nothing is thrown across IPC.
 */
export function handleTrusted<T>(ipc: IpcRegistrar, channel: string, run: () => Promise<T>): void {
  ipc.handle(channel, async (event: IpcMainInvokeEvent): Promise<Result<T>> => {
    if (!isOwnSender(event.senderFrame)) {
      return fail({ code: 'FORBIDDEN_SENDER', message: `${channel}: refused a call from a page that is not part of the app` })
    }
    try {
      return ok(await run())
    } catch (error) {
      const info = toErrorInfo(error)
      // Unexpected failures reach the renderer as a message only; keep the stack in the main log.
      if (info.code === 'INTERNAL') console.error(`${channel} failed`, error)
      return fail(info)
    }
  })
}
