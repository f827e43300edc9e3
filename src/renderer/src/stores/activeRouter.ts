import type { Router } from 'vue-router'

let active: Router | undefined

/** The app's router, for the stores: set once where the app is made (main.ts), before anything navigates. */
export function useAppRouter(router: Router): Router {
  active = router
  return router
}

export function appRouter(): Router {
  if (!active) throw new Error('the app has no router yet (main.ts makes it)')
  return active
}
