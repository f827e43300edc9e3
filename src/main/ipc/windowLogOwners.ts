import type { WebContents } from 'electron'
import type { StreamEnd } from '../../shared/api/events'
import type { Result } from '../../shared/result'
import type { ApiBackend } from '../../service/apiBackend'
import { createLogOwners } from '../../service/logOwners'

/** The part of a window's web contents that owning log subscriptions needs. */
export type SubscriberWindow = Pick<WebContents, 'isDestroyed' | 'send' | 'on' | 'once'> & { readonly mainFrame: { readonly url: string } }

export interface WindowLogOwners {
  /** Runs a `logs:subscribe` or `console:attach` call for `window`, which then owns the stream; `ends` ends it. */
  subscribe<T extends { id: string }>(window: SubscriberWindow, call: () => Promise<Result<T>>, ends?: StreamEnd): Promise<Result<T>>
  unsubscribed(subscription: string): void
  ownerOf(subscription: string): SubscriberWindow | undefined
}

/**
 * Log subscriptions made by a window belong to that window's page: a reload or navigation to
 * another document, a crashed renderer or a closed window ends them, as a closed socket does in
 * `bpvm serve`. A subscription whose page went while it was being made is ended at once.
 */
export function createWindowLogOwners(backend: Pick<ApiBackend, 'call'>): WindowLogOwners {
  const owners = createLogOwners<SubscriberWindow>(backend)
  /** How many pages each window has shown since it was first seen. */
  const pages = new WeakMap<SubscriberWindow, number>()

  function watch(window: SubscriberWindow): void {
    if (pages.has(window)) return
    pages.set(window, 0)
    const pageGone = (): void => {
      pages.set(window, (pages.get(window) ?? 0) + 1)
      owners.release(window)
    }
    window.on('did-start-navigation', (details) => {
      // The app's own views change the URL's fragment only: the same document, the same page.
      if (details.isMainFrame && !details.isSameDocument) pageGone()
    })
    window.on('render-process-gone', pageGone)
    window.once('destroyed', pageGone)
  }

  return {
    async subscribe(window, call, ends) {
      watch(window)
      const page = pages.get(window)
      const result = await call()
      if (result.ok) owners.add(result.value.id, window, !window.isDestroyed() && pages.get(window) === page, ends)
      return result
    },
    unsubscribed: (subscription) => owners.forget(subscription),
    ownerOf: (subscription) => owners.ownerOf(subscription)
  }
}
