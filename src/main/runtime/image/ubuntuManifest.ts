import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { UBUNTU_FILES } from './ubuntuRelease'

/**
 * Written last by a pull, so its presence (with every file it names at its recorded size)
 * means the release is complete and a later pull needs neither the network nor qemu-img.
 */

const fileSchema = z.object({ name: z.string(), bytes: z.number().int().nonnegative() })

export const ubuntuManifestSchema = z.object({
  format: z.literal(1),
  release: z.string(),
  /** The release directory the files came from. */
  sourceUrl: z.string(),
  pulledAt: z.string(),
  baseVirtualSizeBytes: z.number().int().positive(),
  files: z.object({ base: fileSchema, kernel: fileSchema, initrd: fileSchema })
})

export type UbuntuManifest = z.infer<typeof ubuntuManifestSchema>

/** The release's manifest when every file it lists is there at its size; otherwise undefined. */
export async function readUbuntuManifest(dir: string): Promise<UbuntuManifest | undefined> {
  const text = await readTextIfExists(join(dir, UBUNTU_FILES.manifest)).catch(() => undefined)
  if (text === undefined) return undefined
  let manifest: UbuntuManifest
  try {
    manifest = ubuntuManifestSchema.parse(JSON.parse(text))
  } catch {
    return undefined
  }
  for (const file of Object.values(manifest.files)) {
    const info = await stat(join(dir, file.name)).catch(() => undefined)
    if (!info?.isFile() || info.size !== file.bytes) return undefined
  }
  return manifest
}

export async function writeUbuntuManifest(dir: string, manifest: UbuntuManifest): Promise<void> {
  await writeJsonAtomic(join(dir, UBUNTU_FILES.manifest), manifest)
}
