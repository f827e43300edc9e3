import { rm } from 'node:fs/promises'
import { deleteLink } from '../net/ipCommand'
import { LeaseStore } from '../net/leaseStore'
import { HOST_NET } from '../net/netContext'
import { removeVmRules } from '../net/vmNetRules'
import { instancePaths, type InstanceRecord } from './instanceRecord'

/** Gives back what a stopped instance held on the host: its rules, its TAP, its socket, its lease. Quiet for what is already gone. */
export async function releaseNetwork(record: InstanceRecord): Promise<void> {
  await removeVmRules(HOST_NET, record.net.tap)
  await deleteLink(HOST_NET, record.net.tap)
  await rm(instancePaths(record.name).socket, { force: true })
  await (await LeaseStore.open()).release(record.name)
}
