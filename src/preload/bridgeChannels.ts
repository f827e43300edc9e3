import type { API, ApiDomain } from '../shared/api'
import type { shellApi } from '../shared/api/shell'

// A sandboxed preload can require only 'electron', and the build leaves zod external, so the
// preload cannot import the API's schemas: it takes the verbs from here. The types below make
// this list fail to compile when it drifts from `API`, and the preload tests compare it with
// CHANNELS at run time.

type VerbsOf<D> = readonly (keyof D & string)[]
type Unlisted<D, L> = Exclude<keyof D, L extends readonly (infer V)[] ? V : never>

/** Compiles only when every domain lists all of its verbs (and nothing else). */
type Complete<L extends { readonly [K in ApiDomain]: VerbsOf<(typeof API)[K]> }> = [
  { [K in ApiDomain]: Unlisted<(typeof API)[K], L[K]> }[ApiDomain]
] extends [never]
  ? L
  : never

const apiVerbs = {
  instances: ['launch', 'list', 'get', 'teardown', 'teardownAll', 'relaunch', 'watch'],
  logs: ['read', 'subscribe', 'unsubscribe'],
  console: ['attach', 'input', 'resize', 'detach'],
  images: ['list', 'pull', 'buildDev', 'buildDebian', 'remove'],
  host: ['doctor', 'interfaces', 'checkRpc'],
  settings: ['get', 'update'],
  tasks: ['list', 'cancel']
} as const

const shellVerbs = ['pickBinary', 'pickKeystore', 'openLogFolder', 'info'] as const satisfies VerbsOf<typeof shellApi>

/** Every verb of every runtime domain; the channel of `bpvm.<domain>.<verb>` is `<domain>:<verb>`. */
export const API_VERBS: Complete<typeof apiVerbs> = apiVerbs

/** The desktop shell's own verbs (`shell:<verb>`, see shared/api/shell.ts). */
export const SHELL_VERBS: [Unlisted<typeof shellApi, typeof shellVerbs>] extends [never] ? typeof shellVerbs : never = shellVerbs

/** The one IPC channel on which the main process pushes API events: `{ event, payload }`. */
export const EVENT_CHANNEL = 'bpvm:event'

export interface EventMessage {
  event: string
  payload: unknown
}
