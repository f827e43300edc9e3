import { open } from 'node:fs/promises'
import { invalidInput } from '../../../shared/errors'

/**
 * A classic MBR with one primary Linux partition, written into the first sector of a raw disk
 * image: what `root=/dev/vda1` needs, made without loop devices, `sfdisk` or root.
 */

export const SECTOR_BYTES = 512
const LINUX_PARTITION_TYPE = 0x83
const BOOT_SIGNATURE = [0x55, 0xaa] as const
const PARTITION_TABLE_OFFSET = 446
const DISK_SIGNATURE_OFFSET = 440
// Past 1024 cylinders a CHS address cannot say where a partition is; this triple tells the
// reader to use the LBA fields instead, as every partitioning tool does today.
const CHS_BEYOND_LIMIT = [0xfe, 0xff, 0xff] as const
const MAX_SECTORS = 2 ** 32 - 1

export interface LinuxPartition {
  /** First sector of the partition (2048 = 1 MiB, the usual alignment). */
  startSector: number
  sectorCount: number
  /** The 32-bit disk identifier Linux shows as the PARTUUID prefix. */
  diskSignature: number
}

/** The 512-byte boot sector that describes `partition`. */
export function mbrSector(partition: LinuxPartition): Buffer {
  const { startSector, sectorCount, diskSignature } = partition
  if (!Number.isSafeInteger(startSector) || startSector < 1 || startSector > MAX_SECTORS) throw invalidInput('startSector', `must be from 1 to ${MAX_SECTORS}`)
  if (!Number.isSafeInteger(sectorCount) || sectorCount < 1 || startSector + sectorCount - 1 > MAX_SECTORS) {
    throw invalidInput('sectorCount', 'must be at least 1 and end within the 2 TiB an MBR can address')
  }
  if (!Number.isInteger(diskSignature) || diskSignature < 0 || diskSignature > 0xffffffff) throw invalidInput('diskSignature', 'must be a 32-bit number')
  const sector = Buffer.alloc(SECTOR_BYTES)
  sector.writeUInt32LE(diskSignature, DISK_SIGNATURE_OFFSET)
  const entry = PARTITION_TABLE_OFFSET
  sector[entry] = 0x00 // not marked bootable: the VMM loads the kernel directly
  sector.set(CHS_BEYOND_LIMIT, entry + 1)
  sector[entry + 4] = LINUX_PARTITION_TYPE
  sector.set(CHS_BEYOND_LIMIT, entry + 5)
  sector.writeUInt32LE(startSector, entry + 8)
  sector.writeUInt32LE(sectorCount, entry + 12)
  sector.set(BOOT_SIGNATURE, SECTOR_BYTES - 2)
  return sector
}

/** Writes the MBR into the first sector of the existing raw image at `path`, leaving the rest as it is. */
export async function writeMbr(path: string, partition: LinuxPartition): Promise<void> {
  const sector = mbrSector(partition)
  const handle = await open(path, 'r+')
  try {
    await handle.write(sector, 0, SECTOR_BYTES, 0)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
