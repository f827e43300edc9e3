import { defineStore } from 'pinia'
import { ref } from 'vue'
import { LOG_STREAM_NAMES, type LogStreamName } from '../../../shared/api/logs'

export const VIEWS = ['instances', 'launch', 'logs', 'host', 'settings'] as const
export type ViewName = (typeof VIEWS)[number]

export const VIEW_TITLES: Record<ViewName, string> = {
  instances: 'Instances',
  launch: 'Launch',
  logs: 'Logs',
  host: 'Host',
  settings: 'Settings'
}

export interface Route {
  view: ViewName
  /** For the Logs view: which instance and stream. */
  instance?: string
  stream?: LogStreamName
}

/** `#/logs/svc/guest` → the Logs view of svc's guest log; anything unknown → Instances. */
function parseHash(hash: string): Route {
  const [view, instance, stream] = hash.replace(/^#\/?/, '').split('/').map((part) => decodeURIComponent(part))
  const known = VIEWS.find((v) => v === view)
  if (!known) return { view: 'instances' }
  const route: Route = { view: known }
  if (known === 'logs' && instance) route.instance = instance
  const streamName = LOG_STREAM_NAMES.find((s) => s === stream)
  if (known === 'logs' && instance && streamName) route.stream = streamName
  return route
}

function routeHash(route: Route): string {
  const parts: string[] = [route.view]
  if (route.view === 'logs' && route.instance) {
    parts.push(encodeURIComponent(route.instance))
    if (route.stream) parts.push(route.stream)
  }
  return `#/${parts.join('/')}`
}

/** Which view is shown; kept in the URL's hash so reload and back/forward work. */
export const useNavStore = defineStore('nav', () => {
  const route = ref<Route>(parseHash(window.location.hash))
  /** Whether the hash named a view when the app started (then the app does not move away from it by itself). */
  const startedWithView = window.location.hash.replace(/^#\/?/, '') !== ''
  /** Bumped on every navigation the user asked for, so the view can take focus. */
  const navigations = ref(0)

  function go(next: Route): void {
    route.value = next
    navigations.value++
    const hash = routeHash(next)
    if (window.location.hash !== hash) window.history.pushState(null, '', hash)
  }

  /** Records where the user is without a history entry (e.g. the Logs view switching streams). */
  function replace(next: Route): void {
    route.value = next
    const hash = routeHash(next)
    if (window.location.hash !== hash) window.history.replaceState(null, '', hash)
  }

  function fromLocation(): void {
    route.value = parseHash(window.location.hash)
  }
  window.addEventListener('popstate', fromLocation)
  window.addEventListener('hashchange', fromLocation)

  return { route, startedWithView, navigations, go, replace }
})
