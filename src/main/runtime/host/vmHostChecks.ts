import { mkdir, statfs } from 'node:fs/promises'
import type { HostCheck } from '../../../shared/api/host'
import { appDirs } from '../appDirs'
import { toErrorInfo } from '../errors'
import { occupiedCidrs } from '../net/ipCommand'
import { LeaseStore } from '../net/leaseStore'
import { HOST_NET } from '../net/netContext'
import { poolUsage } from '../net/subnetPool'
import { resolveAccel } from '../vmm/qemu/qemuHost'

/** Below this, a launch (data disk, images) is likely to run out of space. */
const LOW_DISK_BYTES = 5 * 1024 ** 3

/** What launching VMs needs beyond networking: KVM, free subnets, room for disks. */
export async function vmHostChecks(): Promise<HostCheck[]> {
  return Promise.all([kvmCheck(), leasesCheck(), diskCheck()])
}

async function kvmCheck(): Promise<HostCheck> {
  const choice = await resolveAccel('auto')
  const ok = choice.accel === 'kvm'
  return {
    id: 'kvm',
    label: 'Accelerator',
    ok,
    detail: choice.reason,
    ...(ok ? {} : { fix: 'VMs run under TCG (software emulation, slow): enable virtualisation and give this user read-write access to /dev/kvm (group kvm)' })
  }
}

async function leasesCheck(): Promise<HostCheck> {
  try {
    const store = await LeaseStore.open()
    const usage = poolUsage(store.pool, (await store.list()).map((l) => l.subnet), await occupiedCidrs(HOST_NET))
    const ok = usage.free > 0
    return {
      id: 'leases',
      label: 'Free subnets',
      ok,
      detail: `${usage.free} of ${usage.subnets} /30s free in ${store.pool.cidr} (${usage.leased} leased, ${usage.blockedByHost} used by the host)`,
      ...(ok ? {} : { fix: 'tear down instances (bpvm down), or choose a larger pool (bpvm net config --pool)' })
    }
  } catch (error) {
    return { id: 'leases', label: 'Free subnets', ok: false, detail: toErrorInfo(error).message }
  }
}

async function diskCheck(): Promise<HostCheck> {
  const dir = appDirs().data
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const fs = await statfs(dir)
    const free = fs.bavail * fs.bsize
    const ok = free >= LOW_DISK_BYTES
    return {
      id: 'disk',
      label: 'Free disk',
      ok,
      detail: `${(free / 1024 ** 3).toFixed(1)} GiB free in ${dir}`,
      ...(ok ? {} : { fix: 'free some space, or move bpvm with BPVM_HOME' })
    }
  } catch (error) {
    return { id: 'disk', label: 'Free disk', ok: false, detail: toErrorInfo(error).message }
  }
}
