import { longEntryCount, shortNameChecksum } from './fatNames'

export const SECTOR = 512
export const DIR_ENTRY = 32

export const ATTR_VOLUME_ID = 0x08
export const ATTR_DIRECTORY = 0x10
export const ATTR_ARCHIVE = 0x20
const ATTR_LONG_NAME = 0x0f

export const FAT_END_OF_CHAIN = 0x0fffffff

export interface VolumeGeometry {
  sectorsPerCluster: number
  reservedSectors: number
  fatSectors: number
  totalSectors: number
  clusters: number
}

export interface BootSectorFields extends VolumeGeometry {
  label: string
  volumeId: number
}

/** Sector of the copy of the boot sector (and the one after it, of FSInfo). */
export const BACKUP_BOOT_SECTOR = 6
const FSINFO_SECTOR = 1

/** The FAT32 boot sector (BPB). The same bytes go to sector 0 and the backup sector. */
export function encodeBootSector(f: BootSectorFields): Buffer {
  const b = Buffer.alloc(SECTOR)
  b.set([0xeb, 0x58, 0x90], 0) // jump over the BPB to the boot code
  b.write('BPVM    ', 3, 'ascii')
  b.writeUInt16LE(SECTOR, 11)
  b.writeUInt8(f.sectorsPerCluster, 13)
  b.writeUInt16LE(f.reservedSectors, 14)
  b.writeUInt8(2, 16) // two FATs
  b.writeUInt16LE(0, 17) // FAT32: root directory lives in clusters
  b.writeUInt16LE(0, 19)
  b.writeUInt8(0xf8, 21) // fixed disk
  b.writeUInt16LE(0, 22)
  b.writeUInt16LE(32, 24) // geometry hints only: sectors per track
  b.writeUInt16LE(64, 26) // heads
  b.writeUInt32LE(0, 28) // hidden sectors: the volume starts the disk
  b.writeUInt32LE(f.totalSectors, 32)
  b.writeUInt32LE(f.fatSectors, 36)
  b.writeUInt16LE(0, 40) // both FATs mirrored
  b.writeUInt16LE(0, 42) // version 0.0
  b.writeUInt32LE(2, 44) // root directory cluster
  b.writeUInt16LE(FSINFO_SECTOR, 48)
  b.writeUInt16LE(BACKUP_BOOT_SECTOR, 50)
  b.writeUInt8(0x80, 64) // drive number
  b.writeUInt8(0x29, 66) // extended boot signature: id, label and type follow
  b.writeUInt32LE(f.volumeId >>> 0, 67)
  b.write(f.label.padEnd(11, ' '), 71, 'ascii')
  b.write('FAT32   ', 82, 'ascii')
  b.set([0xf4, 0xeb, 0xfd], 90) // boot code: halt forever, this disk is not bootable
  b.writeUInt16LE(0xaa55, 510)
  return b
}

/** FSInfo: the free-cluster count and the hint where the next free cluster is. */
export function encodeFsInfo(freeClusters: number, nextFree: number): Buffer {
  const b = Buffer.alloc(SECTOR)
  b.writeUInt32LE(0x41615252, 0)
  b.writeUInt32LE(0x61417272, 484)
  b.writeUInt32LE(freeClusters, 488)
  b.writeUInt32LE(nextFree, 492)
  b.writeUInt32LE(0xaa550000, 508)
  return b
}

export interface DosStamp {
  date: number
  time: number
  /** Hundredths of a second past `time` (0–199), for the creation stamp. */
  tenths: number
}

/** A local date as FAT stores it (2-second resolution, years 1980–2107). */
export function toDosStamp(when: Date): DosStamp {
  const min = new Date(1980, 0, 1)
  const max = new Date(2107, 11, 31, 23, 59, 58)
  const d = when < min ? min : when > max ? max : when
  const date = ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate()
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1)
  const tenths = (d.getSeconds() & 1) * 100 + Math.floor(d.getMilliseconds() / 10)
  return { date, time, tenths }
}

export interface ShortEntry {
  /** 11 bytes, base padded to 8 and extension to 3. */
  shortName: string
  attributes: number
  firstCluster: number
  size: number
  stamp: DosStamp
}

/** Writes one 32-byte short directory entry at `offset`. */
export function writeShortEntry(dir: Buffer, offset: number, e: ShortEntry): void {
  dir.write(e.shortName, offset, 11, 'ascii')
  dir.writeUInt8(e.attributes, offset + 11)
  dir.writeUInt8(e.stamp.tenths, offset + 13)
  dir.writeUInt16LE(e.stamp.time, offset + 14)
  dir.writeUInt16LE(e.stamp.date, offset + 16)
  dir.writeUInt16LE(e.stamp.date, offset + 18) // last access
  dir.writeUInt16LE((e.firstCluster >>> 16) & 0xffff, offset + 20)
  dir.writeUInt16LE(e.stamp.time, offset + 22)
  dir.writeUInt16LE(e.stamp.date, offset + 24)
  dir.writeUInt16LE(e.firstCluster & 0xffff, offset + 26)
  dir.writeUInt32LE(e.size, offset + 28)
}

// Where the 13 UTF-16 units of a long-name entry sit inside its 32 bytes.
const LONG_UNIT_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]

/**
 * Writes the long-name entries of `longName` (last part first, as FAT wants) starting at
 * `offset`, each carrying the checksum of `shortName`. Returns the offset after them.
 */
export function writeLongEntries(dir: Buffer, offset: number, longName: string, shortName: string): number {
  const count = longEntryCount(longName)
  const checksum = shortNameChecksum(Buffer.from(shortName, 'ascii'))
  for (let seq = count; seq >= 1; seq--) {
    dir.writeUInt8(seq === count ? seq | 0x40 : seq, offset)
    dir.writeUInt8(ATTR_LONG_NAME, offset + 11)
    dir.writeUInt8(checksum, offset + 13)
    const first = (seq - 1) * 13
    LONG_UNIT_OFFSETS.forEach((at, i) => {
      const index = first + i
      // After the name: one NUL unit, then 0xFFFF padding.
      const unit = index < longName.length ? longName.charCodeAt(index) : index === longName.length ? 0 : 0xffff
      dir.writeUInt16LE(unit, offset + at)
    })
    offset += DIR_ENTRY
  }
  return offset
}
