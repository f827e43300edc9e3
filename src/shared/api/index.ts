import type { ChannelSpec, DomainClient, RequestOf, ResponseOf } from './channel'
import { consoleApi } from './console'
import { hostApi } from './host'
import { imagesApi } from './images'
import { instancesApi } from './instances'
import { logsApi } from './logs'
import { settingsApi } from './settings'
import { tasksApi } from './tasks'
import type { ApiEventsClient } from './events'

/** Every operation of the app, by domain and verb: `API.instances.launch.name === 'instances:launch'`. */
export const API = {
  instances: instancesApi,
  logs: logsApi,
  console: consoleApi,
  images: imagesApi,
  host: hostApi,
  settings: settingsApi,
  tasks: tasksApi
} as const

export type ApiDomain = keyof typeof API

/** What the renderer calls, whichever transport carries it (Electron preload or the headless WebSocket). */
export type BpvmApi = { [D in ApiDomain]: DomainClient<(typeof API)[D]> } & { events: ApiEventsClient }

type Api = typeof API

/** Every channel's name: `domain:verb`, exactly as the contract spells it (a test checks each spec's name). */
export type ChannelName = { [D in ApiDomain]: `${D}:${keyof Api[D] & string}` }[ApiDomain]

/** The spec of one channel, from its name. */
export type SpecOf<C extends ChannelName> = C extends `${infer D}:${infer V}` ? (D extends ApiDomain ? (V extends keyof Api[D] ? Api[D][V] : never) : never) : never

export type ChannelRequest<C extends ChannelName> = RequestOf<SpecOf<C>>
export type ChannelResponse<C extends ChannelName> = ResponseOf<SpecOf<C>>

/** A call that passed validation: its channel and its request, typed together. */
export type ValidCall = { [C in ChannelName]: { channel: C; request: ChannelRequest<C> } }[ChannelName]

/** Every channel, by name. */
export const CHANNELS: ReadonlyMap<string, ChannelSpec<unknown, unknown>> = new Map(
  Object.values(API).flatMap((domain) => Object.values(domain).map((spec) => [spec.name, spec as ChannelSpec<unknown, unknown>] as const))
)

export { API_ERROR_CODES, invalidArgument, type ChannelSpec, type RequestOf, type ResponseOf } from './channel'
export type * from './console'
export type * from './events'
export type * from './host'
export type * from './images'
export type * from './instances'
export type * from './logs'
export type * from './settings'
export type * from './tasks'
