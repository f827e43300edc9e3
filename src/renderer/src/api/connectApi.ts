import type { BpvmApi } from '../../../shared/api'
import { apiSocketProtocols, takePageToken } from './pageToken'
import { apiSocketUrl, createSocketApi } from './socketApi'

let socketApi: BpvmApi | undefined

/**
 * The API, whichever way this page reaches the runtime: the desktop app's preload exposes
 * `window.bpvm`; a page served by `bpvm serve` talks over one WebSocket back to the server that
 * served it, offering the serve token as a subprotocol (see pageToken), shared by every caller.
 */
export function connectApi(): BpvmApi {
  if (window.bpvm) return window.bpvm
  if (!socketApi) {
    const protocols = apiSocketProtocols(takePageToken({ location: window.location, history: window.history, storage: window.sessionStorage }))
    socketApi = createSocketApi({ url: apiSocketUrl(window.location), openSocket: (url) => new WebSocket(url, protocols) })
  }
  return socketApi
}
