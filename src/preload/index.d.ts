import type { BpvmApi } from '../shared/api'
import type { ShellApi } from '../shared/api/shell'

declare global {
  interface Window {
    /**
     * Absent when the page is opened outside the desktop app and no other transport set it;
     * `shell` is present only in the desktop app.
     */
    bpvm?: BpvmApi & { shell?: ShellApi }
  }
}
