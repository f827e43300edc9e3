import type { HostApi } from '../shared/api/host'

/** What the preload exposes on `window.bpvm`. */
export interface BpvmApi {
  host: HostApi
}

declare global {
  interface Window {
    /** Absent when the page is opened outside the desktop app. */
    bpvm?: BpvmApi
  }
}
