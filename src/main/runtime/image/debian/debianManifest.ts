import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { readTextIfExists } from '../../state/atomicJson'
import { parseJsonWith } from '../../state/parseJson'
import type { DebianInputs } from './debianInputs'
import { guestTreeFiles } from './guestTreeFiles'

/**
 * Bumped when the build changes in a way its inputs do not show (the disk layout, the files
 * bpvm adds), so older cached builds are not taken for current ones.
 */
export const DEBIAN_BUILD_FORMAT = 1

export const DEBIAN_FILES = { base: 'base.qcow2', kernel: 'vmlinuz', initrd: 'initrd.img', manifest: 'manifest.json' } as const

const fileRecord = z.object({ name: z.string(), bytes: z.number().int().nonnegative() })

export const debianManifestSchema = z.object({
  format: z.literal(DEBIAN_BUILD_FORMAT),
  /** The inputs hash; the build's directory is `<suite>-<first 12 of it>`. */
  hash: z.string(),
  /** Of what bpvm itself puts in the image (see `bpvmPartsDigest`): a build by another bpvm version differs. */
  bpvmParts: z.string(),
  builtAt: z.string(),
  buildMs: z.number().int().nonnegative(),
  suite: z.string(),
  mirror: z.string(),
  include: z.array(z.string()),
  release: z.object({ label: z.string(), date: z.string(), sha256: z.string() }),
  kernelRelease: z.string(),
  /** Every package in the image, name → version. */
  packages: z.record(z.string(), z.string()),
  baseVirtualSizeBytes: z.number().int().positive(),
  files: z.object({ base: fileRecord, kernel: fileRecord, initrd: fileRecord })
})

export type DebianManifest = z.infer<typeof debianManifestSchema>

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

/** The build format and the files bpvm adds to the tree. */
export const bpvmPartsDigest = (): string =>
  sha256(JSON.stringify({ format: DEBIAN_BUILD_FORMAT, files: guestTreeFiles().map((f) => [f.path, f.content, f.link === true]) }))

/** Suite, mirror, packages, the suite's release file (so: the versions) and what bpvm adds. */
export function debianInputsHash(inputs: DebianInputs, releaseSha256: string): string {
  return sha256(JSON.stringify({ bpvm: bpvmPartsDigest(), suite: inputs.suite, mirror: inputs.mirror, packages: inputs.packages, release: releaseSha256 }))
}

export const debianBuildName = (suite: string, hash: string): string => `${suite}-${hash.slice(0, 12)}`

/** The finished build in `dir`, or undefined when there is none or a file is missing or the wrong size. */
export async function readDebianManifest(dir: string): Promise<DebianManifest | undefined> {
  const text = await readTextIfExists(join(dir, DEBIAN_FILES.manifest)).catch(() => undefined)
  if (text === undefined) return undefined
  const manifest = parseJsonWith(text, debianManifestSchema)
  if (!manifest) return undefined
  for (const file of Object.values(manifest.files)) {
    const info = await stat(join(dir, file.name)).catch(() => undefined)
    if (!info?.isFile() || info.size !== file.bytes) return undefined
  }
  return manifest
}
