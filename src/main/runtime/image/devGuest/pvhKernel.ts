import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { BpvmError } from '../../../../shared/errors'
import { bzImagePayload, hasPvhEntry } from './kernelImage'
import { lz4Decompress } from './lz4'

/** How the dev guest's kernel is entered: at its PVH entry point (an ELF vmlinux), or through the bzImage's own decompressor. */
export type KernelEntry = 'pvh' | 'bzimage'

export interface BootableKernel {
  /** The file to boot. */
  file: string
  entry: KernelEntry
  /** Why the bzImage is booted, when it is. */
  why?: string
}

/**
 * The kernel to boot, unpacked when it can be: a vmlinux entered at its PVH entry point starts
 * about 0.3 s sooner under TCG than its bzImage, which first decompresses itself (53 MB, in
 * emulated instructions). Falls back to the bzImage, saying why, when the payload's compression
 * is one we do not unpack, `lz4` is not installed, or the kernel has no PVH entry.
 */
export async function bootableKernel(vmlinuz: string, work: string): Promise<BootableKernel> {
  const payload = bzImagePayload(await readFile(vmlinuz))
  const vmlinux = join(work, 'vmlinux')
  const bzimage = (why: string): BootableKernel => ({ file: vmlinuz, entry: 'bzimage', why })
  if (payload.compression === 'lz4') {
    // Linux appends the unpacked size (4 bytes, little-endian) to every payload but gzip's.
    const size = payload.bytes.readUInt32LE(payload.bytes.length - 4)
    const packed = join(work, 'vmlinux.lz4')
    await writeFile(packed, payload.bytes.subarray(0, -4))
    try {
      await lz4Decompress(packed, vmlinux)
    } catch (error) {
      if (error instanceof BpvmError && error.code === 'PROGRAM_NOT_FOUND') return bzimage(error.message)
      throw error
    }
    const unpacked = (await stat(vmlinux)).size
    if (unpacked !== size) throw new BpvmError('KERNEL_PACKAGE_INVALID', `the kernel unpacked to ${unpacked} bytes, not the ${size} its image says`)
  } else if (payload.compression === 'gzip') {
    await writeFile(vmlinux, gunzipSync(payload.bytes))
  } else {
    return bzimage(`its kernel is ${payload.compression}-compressed, which the build does not unpack (lz4 and gzip only)`)
  }
  if (!(await hasPvhEntry(vmlinux))) return bzimage('the kernel has no PVH entry point')
  return { file: vmlinux, entry: 'pvh' }
}
