import { z } from 'zod'
import { BpvmError } from '../../../../shared/errors'
import { readTextIfExists, writeJsonAtomic } from '../../state/atomicJson'
import { parseJsonWith } from '../../state/parseJson'
import { aptIndexStamp, candidatePackage, dependencyClosure, type PackageRecord } from './aptCache'

/** The Debian packages the dev guest is made of, at the versions apt would install now. */

/** Debian's cloud kernel: virtio built for small VMs, and it boots quickly under TCG. */
const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64'
const BUSYBOX_PACKAGE = 'busybox-static'
/** The bridge relay's program; it comes with the libraries it links (busybox has no Unix-socket relay). */
export const RELAY_PACKAGE = 'socat'
// The meta package depends on the versioned image, e.g. linux-image-6.1.0-56-cloud-amd64.
const VERSIONED_KERNEL = /^linux-image-\d[^\s]*-cloud-amd64$/

export interface DevGuestPackages {
  kernel: PackageRecord
  busybox: PackageRecord
  /** socat and its dependency closure, sorted by name. */
  relay: PackageRecord[]
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
  const [kernel, busybox, relay] = await Promise.all([candidatePackage(kernelName), candidatePackage(BUSYBOX_PACKAGE), dependencyClosure(RELAY_PACKAGE)])
  return { kernel, busybox, relay }
}

const recordSchema = z.object({ name: z.string(), version: z.string(), depends: z.array(z.string()) })
const memoSchema = z.object({ stamp: z.string(), packages: z.object({ kernel: recordSchema, busybox: recordSchema, relay: z.array(recordSchema) }) })

/**
 * `resolveDevGuestPackages`, remembered in `memoFile` until apt's package lists or sources change:
 * each `apt-cache show` re-reads the whole index (about 0.6 s each on a host without apt's binary
 * cache), and every launch of the dev guest asks which build it needs.
 */
export async function resolveDevGuestPackagesMemo(memoFile: string): Promise<DevGuestPackages> {
  const stamp = await aptIndexStamp()
  const text = await readTextIfExists(memoFile).catch(() => undefined)
  const memo = text === undefined ? undefined : parseJsonWith(text, memoSchema)
  if (memo && memo.stamp === stamp) return memo.packages
  const packages = await resolveDevGuestPackages()
  // A memo that cannot be written only costs the next launch the same lookups.
  await writeJsonAtomic(memoFile, { stamp, packages }).catch(() => undefined)
  return packages
}
