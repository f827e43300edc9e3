import type { ApiBackend } from './apiBackend'

/**
 * Which client (a window, a socket) owns each log subscription: its chunks go to that client
 * only, and a client that goes (a window reloaded or crashed, a socket closed) takes its
 * subscriptions with it, so they never pile up in the runtime.
 */
export interface LogOwners<Owner> {
  /** After a successful `logs:subscribe`; a client that has gone meanwhile has it ended at once. */
  add(subscription: string, owner: Owner, stillThere: boolean): void
  /** After a successful `logs:unsubscribe`. */
  forget(subscription: string): void
  ownerOf(subscription: string): Owner | undefined
  /** The client went: every subscription it owned is ended. */
  release(owner: Owner): void
}

export function createLogOwners<Owner>(backend: Pick<ApiBackend, 'call'>): LogOwners<Owner> {
  const owners = new Map<string, Owner>()
  const end = (subscription: string): void => {
    owners.delete(subscription)
    void backend.call('logs:unsubscribe', { id: subscription }).catch(() => undefined)
  }
  return {
    add(subscription, owner, stillThere) {
      if (stillThere) owners.set(subscription, owner)
      else end(subscription)
    },
    forget: (subscription) => void owners.delete(subscription),
    ownerOf: (subscription) => owners.get(subscription),
    release(owner) {
      for (const [subscription, held] of owners) if (held === owner) end(subscription)
    }
  }
}
