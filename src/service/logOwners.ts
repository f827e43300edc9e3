import type { StreamEnd } from '../shared/api/events'
import type { ApiBackend } from './apiBackend'

/**
 * Which client (a window, a socket) owns each stream it opened, a log subscription or a console
 * session: the stream's events go to that client only, and a client that goes (a window
 * reloaded or crashed, a socket closed) takes its streams with it, so they never pile up in the
 * runtime.
 */
export interface LogOwners<Owner> {
  /**
   * After a successful `logs:subscribe` or `console:attach`; `ends` is the call that ends it. A
   * client that has gone meanwhile has it ended at once.
   */
  add(subscription: string, owner: Owner, stillThere: boolean, ends?: StreamEnd): void
  /** After a successful `logs:unsubscribe` or `console:detach`, or a `console:ended` event. */
  forget(subscription: string): void
  ownerOf(subscription: string): Owner | undefined
  /** The client went: every subscription it owned is ended. */
  release(owner: Owner): void
}

export function createLogOwners<Owner>(backend: Pick<ApiBackend, 'call'>): LogOwners<Owner> {
  const owners = new Map<string, { owner: Owner; ends: StreamEnd }>()
  const end = (subscription: string, ends: StreamEnd): void => {
    owners.delete(subscription)
    void backend.call(ends, { id: subscription }).catch(() => undefined)
  }
  return {
    add(subscription, owner, stillThere, ends = 'logs:unsubscribe') {
      if (stillThere) owners.set(subscription, { owner, ends })
      else end(subscription, ends)
    },
    forget: (subscription) => void owners.delete(subscription),
    ownerOf: (subscription) => owners.get(subscription)?.owner,
    release(owner) {
      for (const [subscription, held] of owners) if (held.owner === owner) end(subscription, held.ends)
    }
  }
}
