import type { WebContents } from 'electron'
import { CHANNELS, type ApiEvents } from '../../shared/api'
import { OWNED_EVENT_NAMES, STREAM_ENDS } from '../../shared/api/events'
import { validateCall } from '../../shared/api/validate'
import { EVENT_CHANNEL, type EventMessage } from '../../preload/bridgeChannels'
import type { ApiBackend } from '../../service/apiBackend'
import { isOwnFrameUrl } from '../security'
import { registerShellHandlers, type ShellServices } from './shellHandlers'
import { handleTrusted, type IpcRegistrar } from './trustedHandler'
import { createWindowLogOwners } from './windowLogOwners'

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
 * does the runtime see it. Log subscriptions and console sessions belong to the window that made them (see
 * windowLogOwners). Returns the way to stop forwarding events.
 */
export function registerApiHandlers(ipc: IpcRegistrar, backend: ApiBackend, options: ApiHandlerOptions): () => void {
  const logOwners = createWindowLogOwners(backend)
  for (const channel of CHANNELS.keys()) {
    handleTrusted(ipc, channel, async (request, event) => {
      const checked = validateCall(channel, request)
      if (!checked.ok) return checked
      const call = checked.value
      if (call.channel === 'logs:subscribe') return logOwners.subscribe(event.sender, () => backend.call(call.channel, call.request), STREAM_ENDS[call.channel])
      if (call.channel === 'console:attach') return logOwners.subscribe(event.sender, () => backend.call(call.channel, call.request), STREAM_ENDS[call.channel])
      const result = await backend.call(call.channel, call.request)
      if (result.ok && (call.channel === 'logs:unsubscribe' || call.channel === 'console:detach')) logOwners.unsubscribed(call.request.id)
      return result
    })
  }
  registerShellHandlers(ipc, options.shell)
  const showsOurPage = (contents: EventReceiver): boolean => !contents.isDestroyed() && isOwnFrameUrl(contents.mainFrame.url)
  return backend.onEvent((event, payload) => {
    const message: EventMessage = { event, payload }
    // A log's chunks and a console's output go to the window that opened them only.
    if (OWNED_EVENT_NAMES.has(event)) {
      const { subscription } = payload as ApiEvents['logs:chunk' | 'console:output' | 'console:ended']
      const owner = logOwners.ownerOf(subscription)
      if (owner && showsOurPage(owner)) owner.send(EVENT_CHANNEL, message)
      if (event === 'console:ended') logOwners.unsubscribed(subscription)
      return
    }
    for (const contents of options.windows()) if (showsOurPage(contents)) contents.send(EVENT_CHANNEL, message)
  })
}
