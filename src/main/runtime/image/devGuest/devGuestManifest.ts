import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { DevGuestPackages } from './debianPackages'
import { devGuestCmdline, MODULE_ROOTS } from './devGuestLayout'
import { guestScripts } from './initramfsLayout'

/**
 * Bumped when the build changes in a way its inputs do not show (the archive layout, the
 * manifest's shape), so older cached builds are not taken for current ones.
 */
export const BUILD_FORMAT = 5

/** The kernel as booted: the ELF vmlinux entered at its PVH entry point, or the bzImage when it cannot be. */
export const KERNEL_FILES = { pvh: 'vmlinux', bzimage: 'vmlinuz' } as const
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
  /** How the kernel is entered, and why not at its PVH entry point when it is not. */
  kernelEntry: z.object({ entry: z.enum(['pvh', 'bzimage']), why: z.string().optional() }),
  /** `bzImage`: the package's own kernel image, kept beside the vmlinux booted at its PVH entry (`bpvm image`'s users may boot it; `bench:boot` compares the two). */
  files: z.object({ kernel: fileRecord, initramfs: fileRecord, relayInitramfs: fileRecord, bzImage: fileRecord.optional() })
})

export type DevGuestManifest = z.infer<typeof devGuestManifestSchema>

/** What the build is made from: package versions, module roots, every generated guest script and the command line its manifest records. */
export function devGuestInputsHash(packages: DevGuestPackages): string {
  const inputs = {
    format: BUILD_FORMAT,
    kernel: [packages.kernel.name, packages.kernel.version],
    busybox: [packages.busybox.name, packages.busybox.version],
    relay: packages.relay.map((p) => [p.name, p.version]),
    moduleRoots: MODULE_ROOTS,
    scripts: guestScripts().map((s) => [s.path, s.mode, s.text]),
    cmdline: devGuestCmdline()
  }
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 32)
}
