import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { API_EVENT_NAMES, type ApiEvents, type ApiEventsClient } from '../shared/api/events'
import { API_VERBS, EVENT_CHANNEL, SHELL_VERBS, type EventMessage } from './bridgeChannels'

type Invoker = (request?: unknown) => Promise<unknown>

/** One function per operation: `bpvm.<domain>.<verb>(request)` invokes `<domain>:<verb>`. */
function domainClient(domain: string, verbs: readonly string[]): Record<string, Invoker> {
  return Object.fromEntries(verbs.map((verb) => [verb, (request?: unknown) => ipcRenderer.invoke(`${domain}:${verb}`, request)]))
}

const events: ApiEventsClient = {
  on(event, listener) {
    if (!API_EVENT_NAMES.includes(event)) throw new Error(`no such event: ${String(event)}`)
    const relay = (_ipcEvent: IpcRendererEvent, message: EventMessage): void => {
      if (message.event === event) listener(message.payload as ApiEvents[typeof event])
    }
    ipcRenderer.on(EVENT_CHANNEL, relay)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, relay)
    }
  }
}

// Only plain functions cross the bridge: ipcRenderer itself never does, so the page can reach
// no channel but these.
const bpvm = {
  ...Object.fromEntries(Object.entries(API_VERBS).map(([domain, verbs]) => [domain, domainClient(domain, verbs)])),
  shell: domainClient('shell', SHELL_VERBS),
  events
}

contextBridge.exposeInMainWorld('bpvm', bpvm)
