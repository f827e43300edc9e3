import { BpvmError } from '../../../../shared/errors'
import type { VolumePlan } from './fatPlan'
import { DIR_ENTRY, SECTOR, type VolumeGeometry } from './fatStructures'

/** Fewer clusters and every reader takes the volume for FAT16: this is FAT32's floor. */
export const FAT32_MIN_CLUSTERS = 65_525
const FAT32_MAX_CLUSTERS = 0x0ffffff5
const MIN_RESERVED_SECTORS = 32
/** Data starts on a 4 KiB boundary so file contents line up with guest pages. */
const ALIGN_SECTORS = 8

export interface VolumeLayout extends VolumeGeometry {
  clusterBytes: number
  usedClusters: number
  dataStartBytes: number
  imageBytes: number
}

/**
 * Small payloads get 512-byte clusters, so the smallest valid FAT32 volume is about 33 MiB;
 * larger ones get 4 KiB clusters, which keep the FAT small and file data page-aligned.
 * The image is sparse, so the floor costs no disk space.
 */
export function chooseClusterBytes(payloadBytes: number): number {
  return payloadBytes > 32 * 1024 * 1024 ? 4096 : 512
}

/** Gives every directory and file its contiguous run of clusters and sizes the volume to fit exactly. */
export function layOutVolume(plan: VolumePlan): VolumeLayout {
  const clusterBytes = chooseClusterBytes(plan.payloadBytes)
  const sectorsPerCluster = clusterBytes / SECTOR
  let next = 2
  // Directories first (the root must be cluster 2), then file contents in tree order.
  for (const dir of plan.directories) {
    dir.clusterCount = Math.max(1, Math.ceil((dir.entryCount * DIR_ENTRY) / clusterBytes))
    dir.firstCluster = next
    next += dir.clusterCount
  }
  for (const file of plan.files) {
    file.clusterCount = Math.ceil(file.size / clusterBytes)
    file.firstCluster = file.clusterCount === 0 ? 0 : next
    next += file.clusterCount
  }
  const usedClusters = next - 2
  const geometry = sizeGeometry(Math.max(usedClusters, FAT32_MIN_CLUSTERS), sectorsPerCluster)
  const dataStartSectors = geometry.reservedSectors + 2 * geometry.fatSectors
  return {
    ...geometry,
    clusterBytes,
    usedClusters,
    dataStartBytes: dataStartSectors * SECTOR,
    imageBytes: geometry.totalSectors * SECTOR
  }
}

function sizeGeometry(minClusters: number, sectorsPerCluster: number): VolumeGeometry {
  let clusters = minClusters
  for (;;) {
    const fatSectors = Math.ceil(((clusters + 2) * 4) / SECTOR)
    const fatsEnd = MIN_RESERVED_SECTORS + 2 * fatSectors
    const reservedSectors = MIN_RESERVED_SECTORS + ((ALIGN_SECTORS - (fatsEnd % ALIGN_SECTORS)) % ALIGN_SECTORS)
    const totalSectors = reservedSectors + 2 * fatSectors + clusters * sectorsPerCluster
    const tail = totalSectors % ALIGN_SECTORS
    if (tail !== 0) {
      // Round the volume up to whole 4 KiB with free clusters (direct I/O wants it); recompute the FAT.
      clusters += Math.ceil((ALIGN_SECTORS - tail) / sectorsPerCluster)
      continue
    }
    if (clusters > FAT32_MAX_CLUSTERS || totalSectors > 0xffff_ffff) {
      throw new BpvmError('VOLUME_TOO_LARGE', `the payload needs ${clusters} clusters, more than one FAT32 volume holds`)
    }
    return { sectorsPerCluster, reservedSectors, fatSectors, totalSectors, clusters }
  }
}
