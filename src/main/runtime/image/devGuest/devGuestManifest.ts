import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { DevGuestPackages } from './debianPackages'
import { MODULE_ROOTS } from './devGuestLayout'
import { guestScripts } from './initramfsLayout'

/**
 * Bumped when the build changes in a way its inputs do not show (the archive layout, the
 * manifest's shape), so older cached builds are not taken for current ones.
 */
export const BUILD_FORMAT = 3

export const KERNEL_FILE = 'vmlinuz'
export const INITRAMFS_FILE = 'initramfs.img'
/** The same initramfs with the bridge relay (socat and its libraries) added, for hosts without vsock. */
export const RELAY_INITRAMFS_FILE = 'initramfs-relay.img'
export const MANIFEST_FILE = 'manifest.json'

const packageRecord = z.object({ name: z.string(), version: z.string() })
const fileRecord = z.object({ name: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })

export const devGuestManifestSchema = z.object({
  format: z.literal(BUILD_FORMAT),
  /** The inputs hash, also the build's directory name. */
  hash: z.string(),
  builtAt: z.string(),
  packages: z.object({ kernel: packageRecord, busybox: packageRecord, relay: z.array(packageRecord) }),
  kernelRelease: z.string(),
  moduleRoots: z.array(z.string()),
  /** Loaded in this order. */
  modules: z.array(z.string()),
  cmdline: z.string(),
  files: z.object({ kernel: fileRecord, initramfs: fileRecord, relayInitramfs: fileRecord })
})

export type DevGuestManifest = z.infer<typeof devGuestManifestSchema>

/** What the build is made from: package versions, module roots and every generated guest script. */
export function devGuestInputsHash(packages: DevGuestPackages): string {
  const inputs = {
    format: BUILD_FORMAT,
    kernel: [packages.kernel.name, packages.kernel.version],
    busybox: [packages.busybox.name, packages.busybox.version],
    relay: packages.relay.map((p) => [p.name, p.version]),
    moduleRoots: MODULE_ROOTS,
    scripts: guestScripts().map((s) => [s.path, s.mode, s.text])
  }
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 32)
}
