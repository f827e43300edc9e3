import { endDeadInstances, type EndedInstance } from '../main/runtime/instance/endInstance'
import { hasNetAdmin } from '../main/runtime/net/netAdmin'

export interface DeadInstanceWatchOptions {
  /** How often the records' VMMs are looked at; default 2 s. */
  intervalMs?: number
  /** After instances were ended (the instance list changed). */
  onEnded(ended: EndedInstance[]): void
}

export interface DeadInstanceWatch {
  stop(): Promise<void>
}

/**
 * While the service runs, a VM whose VMM died (or whose launch's process died) is noticed within
 * an interval and ended: marked Finished or Error, its TAP, rules, lease and sockets given back,
 * as reconcile would at the next start. Looking is cheap (each VMM's /proc entry); rounds never
 * overlap. Without CAP_NET_ADMIN nothing could be given back, and nothing is watched.
 */
export function watchDeadInstances({ intervalMs = 2_000, onEnded }: DeadInstanceWatchOptions): DeadInstanceWatch {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let round: Promise<void> = Promise.resolve()

  async function look(): Promise<void> {
    const { ended, failed } = await endDeadInstances()
    for (const f of failed) console.error(`could not end ${f.name}, whose VMM has died: ${f.message}`)
    if (ended.length > 0) onEnded(ended)
  }

  function schedule(): void {
    if (stopped) return
    timer = setTimeout(() => {
      round = look()
        .catch((error: unknown) => console.error('looking for ended instances failed', error))
        .finally(schedule)
    }, intervalMs)
    timer.unref()
  }

  void hasNetAdmin().then((allowed) => {
    if (allowed) schedule()
  })

  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await round
    }
  }
}
