import { createHash, randomBytes } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { convertImage } from '../../src/main/runtime/disk/qemuImg'
import { UBUNTU_FILES, UBUNTU_RELEASE } from '../../src/main/runtime/image/ubuntuRelease'

/** A small stand-in for the Ubuntu release directory: the files, the SHA256SUMS, the paths a mirror serves them at. */

export const MiB = 2 ** 20
export const IMAGE_VIRTUAL_BYTES = 64 * MiB
/** Where a release lives on the test server, like on cloud-images.ubuntu.com. */
export const RELEASE_PATH = `/releases/${UBUNTU_RELEASE.codename}/release-${UBUNTU_RELEASE.serial}/`
export const IMAGE_PATH = `${RELEASE_PATH}${UBUNTU_FILES.image}`
export const KERNEL_PATH = `${RELEASE_PATH}unpacked/${UBUNTU_FILES.kernel}`
export const INITRD_PATH = `${RELEASE_PATH}unpacked/${UBUNTU_FILES.initrd}`

export interface FixtureRelease {
  /** The disk's content as raw, to compare the converted images with. */
  raw: string
  /** Served path → body. */
  files: Map<string, Buffer>
  image: Buffer
  kernel: Buffer
  initrd: Buffer
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

/** Some incompressible data, some text-like, a marker, and holes: enough that compression and conversion show. */
async function writeRawDisk(path: string): Promise<void> {
  const file = await open(path, 'w')
  try {
    await file.truncate(IMAGE_VIRTUAL_BYTES)
    await file.write(randomBytes(3 * MiB), 0, 3 * MiB, 1 * MiB)
    const text = Buffer.from('root:x:0:0:root:/root:/bin/bash\n'.repeat(Math.ceil((4 * MiB) / 32))).subarray(0, 4 * MiB)
    await file.write(text, 0, text.length, 16 * MiB)
    const marker = Buffer.from('bpvm fixture cloud image\n')
    await file.write(marker, 0, marker.length, 40 * MiB)
  } finally {
    await file.close()
  }
}

/**
 * Builds the release in `dir`: a compressed qcow2 image (made with qemu-img), kernel and initrd
 * stand-ins (or the given ones, e.g. the dev guest's, for a release that boots), both SHA256SUMS.
 */
export async function makeFixtureRelease(dir: string, boot: { kernel?: Buffer; initrd?: Buffer } = {}): Promise<FixtureRelease> {
  const raw = join(dir, 'disk.raw')
  const imagePath = join(dir, 'image.qcow2')
  await writeRawDisk(raw)
  await convertImage({ source: raw, sourceFormat: 'raw', target: imagePath, targetFormat: 'qcow2', compress: true })
  const image = await readFile(imagePath)
  const kernel = boot.kernel ?? Buffer.concat([Buffer.from('MZ vmlinuz stand-in\n'), randomBytes(300 * 1024)])
  const initrd = boot.initrd ?? Buffer.concat([Buffer.from('070701 initrd stand-in\n'), randomBytes(700 * 1024)])
  // Both line forms sha256sum writes: binary (`*name`) in one list, text (two spaces) in the other.
  const sums = [`${sha256(randomBytes(8))} *ubuntu-24.04-server-cloudimg-arm64.img`, `${sha256(image)} *${UBUNTU_FILES.image}`, ''].join('\n')
  const unpackedSums = [`${sha256(kernel)}  ${UBUNTU_FILES.kernel}`, `${sha256(initrd)}  ${UBUNTU_FILES.initrd}`, ''].join('\n')
  const files = new Map<string, Buffer>([
    [IMAGE_PATH, image],
    [KERNEL_PATH, kernel],
    [INITRD_PATH, initrd],
    [`${RELEASE_PATH}SHA256SUMS`, Buffer.from(sums)],
    [`${RELEASE_PATH}unpacked/SHA256SUMS`, Buffer.from(unpackedSums)]
  ])
  return { raw, files, image, kernel, initrd }
}
