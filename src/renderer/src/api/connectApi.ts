import type { BpvmApi } from '../../../shared/api'
import { apiSocketUrl, createSocketApi } from './socketApi'

let socketApi: BpvmApi | undefined

/**
 * The API, whichever way this page reaches the runtime: the desktop app's preload exposes
 * `window.bpvm`; a page served by `bpvm serve` talks over one WebSocket back to the server that
 * served it (the page's cookie carries the token), shared by every caller.
 */
export function connectApi(): BpvmApi {
  if (window.bpvm) return window.bpvm
  socketApi ??= createSocketApi({ url: apiSocketUrl(window.location), openSocket: (url) => new WebSocket(url) })
  return socketApi
}
