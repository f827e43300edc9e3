/**
 * A VM's disks built on their own, each at a path the caller names (`bpvm disk …`). The launch
 * builds the same disks inside the instance's own directories; these write where they are told,
 * which is why only a trusted, in-process host may call them (see README.md).
 */
export { buildServiceDisk } from '../../main/runtime/disk/serviceDisk'
export { buildCidataDisk } from '../../main/runtime/disk/cidata'
export { ensureDataDisk } from '../../main/runtime/disk/dataDisk'
