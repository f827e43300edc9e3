import { z } from 'zod'
import { channel, noRequest, type DomainClient } from './channel'

/** Which shell serves the UI. */
export interface ShellInfo {
  transport: 'electron'
  /** The app's version. */
  version: string
}

/**
 * What only the desktop shell can do (native dialogs, the file manager): served by the Electron
 * main process itself, not by the runtime. A UI opened in a browser has none of these, so it
 * hides its file pickers and "open folder" buttons when `bpvm.shell` is absent.
 */
export const shellApi = {
  /** A native file dialog for the blueprint binary: its path, or null when cancelled. */
  pickBinary: channel<undefined, string | null>('shell:pickBinary', noRequest),
  /** A native folder dialog for the keystore directory: its path, or null when cancelled. */
  pickKeystore: channel<undefined, string | null>('shell:pickKeystore', noRequest),
  /** Opens an instance's log folder in the file manager; answers with the folder opened. */
  openLogFolder: channel<{ name: string }, { path: string }>('shell:openLogFolder', z.object({ name: z.string().min(1).max(64) }).strict()),
  info: channel<undefined, ShellInfo>('shell:info', noRequest)
} as const

/** `window.bpvm.shell`, present only in the desktop app. */
export type ShellApi = DomainClient<typeof shellApi>
