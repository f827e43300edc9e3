import type { WebContents } from 'electron'
import { CHANNELS } from '../../shared/api'
import { validateCall } from '../../shared/api/validate'
import { EVENT_CHANNEL, type EventMessage } from '../../preload/bridgeChannels'
import type { ApiBackend } from '../backend/apiBackend'
import { isOwnFrameUrl } from '../security'
import { registerShellHandlers, type ShellServices } from './shellHandlers'
import { handleTrusted, type IpcRegistrar } from './trustedHandler'

/** The part of a window's web contents that events need. */
export type EventReceiver = Pick<WebContents, 'isDestroyed' | 'send'> & { readonly mainFrame: { readonly url: string } }

export interface ApiHandlerOptions {
  /** The Electron-only operations (dialogs, the file manager), served here in the main process. */
  shell: ShellServices
  /** The app's windows, for events: only those showing our own page receive them. */
  windows: () => readonly EventReceiver[]
}

/**
 * One invoke handler per API channel (no catch-all, so an unknown channel has no handler at
 * all): the sender must be our page, the request must pass the channel's schema, and only then
 * does the runtime see it. Returns the way to stop forwarding events.
 */
export function registerApiHandlers(ipc: IpcRegistrar, backend: ApiBackend, options: ApiHandlerOptions): () => void {
  for (const channel of CHANNELS.keys()) {
    handleTrusted(ipc, channel, async (request) => {
      const call = validateCall(channel, request)
      return call.ok ? backend.call(call.value.channel, call.value.request) : call
    })
  }
  registerShellHandlers(ipc, options.shell)
  return backend.onEvent((event, payload) => {
    const message: EventMessage = { event, payload }
    for (const contents of options.windows()) {
      if (!contents.isDestroyed() && isOwnFrameUrl(contents.mainFrame.url)) contents.send(EVENT_CHANNEL, message)
    }
  })
}
