import { mkdir, statfs } from 'node:fs/promises'
import type { HostCheck } from '../../../shared/api/host'
import { appDirs } from '../appDirs'
import { toErrorInfo } from '../../../shared/errors'
import { occupiedCidrs } from '../net/ipCommand'
import { LeaseStore } from '../net/leaseStore'
import { HOST_NET } from '../net/netContext'
import { poolUsage } from '../net/subnetPool'
import { resolveAccel } from '../vmm/qemu/qemuHost'
import { VHOST_DEVICE_VSOCK_HINT } from '../vmm/qemu/vhostDeviceVsock'
import { decideBridgeTransport } from '../instance/instanceBridge'
import { listInstanceRecords } from '../instance/instanceRecord'

/** Below this, a launch (data disk, images) is likely to run out of space. */
const LOW_DISK_BYTES = 5 * 1024 ** 3

/** What launching VMs needs beyond networking: KVM, a vsock way to the bridge, free subnets, room for disks, state files that read. */
export async function vmHostChecks(): Promise<HostCheck[]> {
  return Promise.all([kvmCheck(), qemuVsockCheck(), leasesCheck(), diskCheck(), stateCheck()])
}

/** Instance records that cannot be used are never acted on; the Host view names them so they can be fixed. */
async function stateCheck(): Promise<HostCheck> {
  const { records, broken } = await listInstanceRecords()
  const base = { id: 'state', label: 'Instance records' }
  if (broken.length === 0) return { ...base, ok: true, detail: `${records.length} read` }
  return { ...base, ok: false, detail: broken.map((b) => b.problem).join('; '), fix: 'fix or delete the files named (bpvm leaves those instances alone until then)' }
}

/** How QEMU guests reach their manager bridge on this host, as a launch decides it (cloud-hypervisor always has vsock). */
async function qemuVsockCheck(): Promise<HostCheck> {
  const base = { id: 'qemu-vsock', label: 'QEMU vsock' }
  const decision = await decideBridgeTransport('qemu')
  if (decision.transport !== 'relay') return { ...base, ok: true, detail: decision.reason }
  return { ...base, ok: false, detail: decision.reason, fix: `${VHOST_DEVICE_VSOCK_HINT}; or load vhost_vsock (modprobe vhost_vsock) and install socat` }
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
