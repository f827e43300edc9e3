import { join } from 'node:path'
import { buildDebianImage, type DebianImage } from '../../src/main/runtime/image/debian/buildDebianImage'

/** Programs a Debian image build runs. */
export const DEBIAN_BUILD_PROGRAMS = ['mmdebstrap', 'unshare', 'mke2fs', 'qemu-img'] as const

/** What the tests' guests run beyond the base: a real gRPC client library for the bridge tests. */
export const SHARED_DEBIAN_EXTRAS = ['python3-grpcio']

/**
 * The Debian image every test of a run boots, built once from the host's mirror into the run's
 * shared cache (the cache lock makes a second file wait for the first one's build).
 */
export function sharedDebianImage(): Promise<DebianImage> {
  return buildDebianImage({ cacheDir: join(process.env.BPVM_HOME ?? '/tmp', 'cache'), include: SHARED_DEBIAN_EXTRAS })
}
