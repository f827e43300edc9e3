import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { RouteLocationNormalizedLoaded, RouteLocationRaw } from 'vue-router'
import { LOG_STREAM_NAMES, type LogStreamName } from '../../../shared/api/logs'
import { appRouter } from './activeRouter'

export const VIEWS = ['instances', 'launch', 'logs', 'host', 'settings'] as const
export type ViewName = (typeof VIEWS)[number]

export const VIEW_TITLES: Record<ViewName, string> = {
  instances: 'Instances',
  launch: 'Launch',
  logs: 'Logs',
  host: 'Host',
  settings: 'Settings'
}

/** Views reached from another one (not in the navigation): the Console, from an instance or its logs. */
export const ROUTED_VIEWS = [...VIEWS, 'console'] as const
export type RoutedView = (typeof ROUTED_VIEWS)[number]

export interface Route {
  view: RoutedView
  /** For the Logs and Console views: which instance (and, for Logs, which stream). */
  instance?: string
  stream?: LogStreamName
}

const single = (param: unknown): string | undefined => (typeof param === 'string' && param !== '' ? param : undefined)

/** The router's location as a view: `#/logs/svc/guest` → the Logs view of svc's guest log; anything unknown → Instances. */
function routeOf(location: RouteLocationNormalizedLoaded): Route {
  const view = ROUTED_VIEWS.find((v) => v === location.name) ?? 'instances'
  if (view !== 'logs' && view !== 'console') return { view }
  const instance = single(location.params.instance)
  if (view === 'console') return { view, ...(instance ? { instance } : {}) }
  const stream = LOG_STREAM_NAMES.find((s) => s === single(location.params.stream))
  return { view, ...(instance ? { instance } : {}), ...(instance && stream ? { stream } : {}) }
}

function locationOf(route: Route): RouteLocationRaw {
  if ((route.view !== 'logs' && route.view !== 'console') || !route.instance) return { name: route.view }
  if (route.view === 'console') return { name: 'console', params: { instance: route.instance } }
  return { name: 'logs', params: { instance: route.instance, ...(route.stream ? { stream: route.stream } : {}) } }
}

/**
 * Which view is shown, as the views ask for it. The router (vue-router, with the hash history)
 * keeps it in the URL; this store gives the views one small vocabulary for it.
 */
export const useNavStore = defineStore('nav', () => {
  const router = appRouter()
  const route = computed(() => routeOf(router.currentRoute.value))
  /** Whether the hash named a view when the app started (then the app does not move away from it by itself). */
  const startedWithView = window.location.hash.replace(/^#\/?/, '') !== ''
  /** Bumped once each navigation the user asked for is done, so the new view can take focus. */
  const navigations = ref(0)

  function go(next: Route): void {
    void router.push(locationOf(next)).then(() => navigations.value++)
  }

  /** Records where the user is without a history entry (e.g. the Logs view switching streams). */
  function replace(next: Route): void {
    void router.replace(locationOf(next))
  }

  return { route, startedWithView, navigations, go, replace }
})
