import { rm } from 'node:fs/promises'
import { deleteLink } from '../net/ipCommand'
import { LeaseStore } from '../net/leaseStore'
import { HOST_NET } from '../net/netContext'
import { removeVmRules } from '../net/vmNetRules'
import { stopInstanceBridge } from './instanceBridge'
import { stopInstanceConsole } from './instanceConsole'
import { instancePaths, type InstanceRecord } from './instanceRecord'

/**
 * Gives back what a stopped instance held on the host: its bridge, its console hub, its rules and
 * TAP, its sockets (all at once: none waits for another), then its lease, which is what proves the
 * TAP and rules were its own, so it goes last, and only once they are gone. Quiet for what is
 * already gone.
 */
export async function releaseHostResources(record: InstanceRecord): Promise<void> {
  const paths = instancePaths(record.name)
  const released = await Promise.allSettled([
    stopInstanceBridge(record, paths),
    stopInstanceConsole(record, paths),
    removeVmRules(HOST_NET, record.net.tap).then(() => deleteLink(HOST_NET, record.net.tap)),
    rm(paths.socket, { force: true })
  ])
  const failed = released.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (failed) throw failed.reason
  // Releasing needs no pool: a broken network.json must not keep a lease from going back.
  await new LeaseStore().release(record.name)
}
