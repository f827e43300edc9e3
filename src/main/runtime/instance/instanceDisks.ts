import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { buildCidataDisk, cidataTag } from '../disk/cidata'
import { ensureDataDisk } from '../disk/dataDisk'
import { buildServiceDisk } from '../disk/serviceDisk'
import type { ServiceEnvInput } from '../disk/serviceEnv'
import type { Lease } from '../net/leaseFile'
import type { VmDisk } from '../vmm/vmSpec'
import type { PreparedGuest } from './guestImage'
import { ensureInstanceRoot } from './instanceRootDisk'
import type { CheckedLaunch } from './launchSpec'
import type { UndoStack } from './undoStack'

export interface InstanceDisksRequest {
  spec: CheckedLaunch
  guest: PreparedGuest
  /** `<data>/instances/<name>`. */
  dir: string
  mac: string
  lease: Pick<Lease, 'id' | 'guestAddress' | 'prefix' | 'hostAddress'>
  /** The service's environment as the guest sees it. */
  env: ServiceEnvInput
  /** The guest reaches its bridge through a relay to this address and port. */
  bridgeRelay?: { address: string; port: number }
}

/** File names in an instance's disk directory. */
export const INSTANCE_DISK_FILES = { root: 'root.qcow2', cidata: 'cidata.img', data: 'data.qcow2', service: 'service.img' } as const

export interface InstanceDisks {
  disks: VmDisk[]
  /** The root overlay of the previous boot was kept (same base): what that boot's cloud-init did is still on it. */
  rootKept: boolean
  /** Of the cloud-init documents on the CIDATA disk (see `cidataDigest`). */
  cidataDigest: string
}

/**
 * Builds an instance's disks in the reference's order (root, cloud-init, data, service) and
 * registers how to undo each one made here. The service and cloud-init disks are rebuilt on
 * every launch; the data disk, and the root overlay while its base is unchanged, are kept.
 */
export async function buildInstanceDisks(request: InstanceDisksRequest, undo: UndoStack): Promise<InstanceDisks> {
  const { spec, guest, lease } = request
  await mkdir(request.dir, { recursive: true, mode: 0o700 })
  const disk = (name: string): string => join(request.dir, name)
  undo.push('service and cloud-init disks', () => Promise.all([rm(disk(INSTANCE_DISK_FILES.service), { force: true }), rm(disk(INSTANCE_DISK_FILES.cidata), { force: true })]))
  await buildServiceDisk({ binary: spec.binary, ...(spec.keystore === undefined ? {} : { keystore: spec.keystore }), env: request.env, args: spec.args, out: disk(INSTANCE_DISK_FILES.service), replace: true })
  const network = {
    mac: request.mac, address: `${lease.guestAddress}/${lease.prefix}`, gateway: lease.hostAddress, docker: spec.docker,
    ...(spec.guestGraceSeconds === undefined ? {} : { graceSeconds: spec.guestGraceSeconds }),
    ...(request.bridgeRelay ? { bridgeRelay: request.bridgeRelay } : {})
  }
  const cidata = await buildCidataDisk({ instanceId: `${spec.name}-${lease.id}-${cidataTag(network)}`, ...network, out: disk(INSTANCE_DISK_FILES.cidata), replace: true })
  const data = await ensureDataDisk({ path: disk(INSTANCE_DISK_FILES.data), sizeBytes: spec.storageBytes })
  if (data.action !== 'kept') undo.push('data disk', () => rm(disk(INSTANCE_DISK_FILES.data), { force: true }))
  const disks: VmDisk[] = []
  let rootKept = false
  if (guest.root) {
    const root = disk(INSTANCE_DISK_FILES.root)
    rootKept = (await ensureInstanceRoot({ root: guest.root, path: root, sizeBytes: spec.storageBytes })) === 'kept'
    if (!rootKept) undo.push('root disk', () => rm(root, { force: true }))
    disks.push({ role: 'root', path: root, format: 'qcow2', readonly: false, hasBackingFile: true })
  }
  disks.push(
    { role: 'cidata', path: disk(INSTANCE_DISK_FILES.cidata), format: 'raw', readonly: true },
    { role: 'data', path: disk(INSTANCE_DISK_FILES.data), format: 'qcow2', readonly: false },
    { role: 'service', path: disk(INSTANCE_DISK_FILES.service), format: 'raw', readonly: true }
  )
  return { disks, rootKept, cidataDigest: cidata.digest }
}
