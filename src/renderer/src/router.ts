import { createRouter, createWebHashHistory, type RouteRecordRaw, type Router, type RouterHistory } from 'vue-router'
import ConsoleView from './views/ConsoleView.vue'
import HostView from './views/HostView.vue'
import InstancesView from './views/InstancesView.vue'
import LaunchView from './views/LaunchView.vue'
import LogsView from './views/LogsView.vue'
import SettingsView from './views/SettingsView.vue'
import { useAppRouter } from './stores/activeRouter'

/**
 * The app's views, each at its own hash (`#/logs/svc/guest`), so reload and back/forward work
 * in the app's window and in a browser on `bpvm serve` alike. Anything else opens Instances.
 */
const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: InstancesView },
  { path: '/instances', name: 'instances', component: InstancesView },
  { path: '/launch', name: 'launch', component: LaunchView },
  { path: '/logs/:instance?/:stream?', name: 'logs', component: LogsView },
  { path: '/console/:instance?', name: 'console', component: ConsoleView },
  { path: '/host', name: 'host', component: HostView },
  { path: '/settings', name: 'settings', component: SettingsView },
  { path: '/:unknown(.*)*', name: 'unknown', component: InstancesView }
]

/** Makes the router and hands it to the stores (the navigation store asks it where the user is). */
export function createAppRouter(history: RouterHistory = createWebHashHistory()): Router {
  return useAppRouter(createRouter({ history, routes }))
}
