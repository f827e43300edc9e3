import { rm } from 'node:fs/promises'
import { deleteLink } from '../net/ipCommand'
import { LeaseStore } from '../net/leaseStore'
import { HOST_NET } from '../net/netContext'
import { removeVmRules } from '../net/vmNetRules'
import { stopInstanceBridge } from './instanceBridge'
import { stopInstanceConsole } from './instanceConsole'
import { instancePaths, type InstanceRecord } from './instanceRecord'

/** Gives back what a stopped instance held on the host: its bridge, its console hub, its rules, its TAP, its sockets, its lease. Quiet for what is already gone. */
export async function releaseHostResources(record: InstanceRecord): Promise<void> {
  await stopInstanceBridge(record, instancePaths(record.name))
  await stopInstanceConsole(record, instancePaths(record.name))
  await removeVmRules(HOST_NET, record.net.tap)
  await deleteLink(HOST_NET, record.net.tap)
  const paths = instancePaths(record.name)
  await rm(paths.socket, { force: true })
  // Releasing needs no pool: a broken network.json must not keep a lease from going back.
  await new LeaseStore().release(record.name)
}
