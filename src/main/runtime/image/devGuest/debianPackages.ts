import { BpvmError } from '../../errors'
import { candidatePackage, type PackageRecord } from './aptCache'

/** The Debian packages the dev guest is made of, at the versions apt would install now. */

/** Debian's cloud kernel: virtio built for small VMs, and it boots quickly under TCG. */
const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64'
const BUSYBOX_PACKAGE = 'busybox-static'
// The meta package depends on the versioned image, e.g. linux-image-6.1.0-56-cloud-amd64.
const VERSIONED_KERNEL = /^linux-image-\d[^\s]*-cloud-amd64$/

export interface DevGuestPackages {
  kernel: PackageRecord
  busybox: PackageRecord
}

export async function resolveDevGuestPackages(): Promise<DevGuestPackages> {
  if (process.arch !== 'x64') {
    throw new BpvmError('UNSUPPORTED_HOST', `the dev guest is built from amd64 packages; this host is ${process.arch}`)
  }
  const meta = await candidatePackage(KERNEL_META_PACKAGE)
  const kernelName = meta.depends.find((dep) => VERSIONED_KERNEL.test(dep))
  if (!kernelName) {
    throw new BpvmError('APT_FAILED', `${KERNEL_META_PACKAGE} ${meta.version} depends on no linux-image-<version>-cloud-amd64 package`, {
      depends: meta.depends
    })
  }
  const [kernel, busybox] = await Promise.all([candidatePackage(kernelName), candidatePackage(BUSYBOX_PACKAGE)])
  return { kernel, busybox }
}
