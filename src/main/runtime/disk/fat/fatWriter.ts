import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs'
import { BpvmError } from '../../../../shared/errors'
import type { VolumeLayout } from './fatLayout'
import type { PlannedDir, PlannedFile, VolumePlan } from './fatPlan'
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_VOLUME_ID, BACKUP_BOOT_SECTOR, DIR_ENTRY, FAT_END_OF_CHAIN, SECTOR,
  encodeBootSector, encodeFsInfo, toDosStamp, writeLongEntries, writeShortEntry
} from './fatStructures'
import type { FatBuildProgress, FileIdentity } from './fatTypes'

/** Copy buffer: large enough that syscalls are not the cost, small enough to bound memory. */
const COPY_CHUNK = 4 * 1024 * 1024

export interface WriteHooks {
  onProgress: (p: FatBuildProgress) => void
  /** Polled between copy chunks; when true the write stops with CANCELLED. */
  isCancelled: () => boolean
}

/** Progress is reported at most this often, in payload bytes. */
const PROGRESS_STEP = 16 * 1024 * 1024

/**
 * Writes the planned volume into `imagePath` (created, must not exist). The file is sized
 * first and stays sparse: zero runs of the sources are skipped, not written.
 */
export function writeVolume(imagePath: string, plan: VolumePlan, layout: VolumeLayout, hooks: WriteHooks): void {
  const fd = openSync(imagePath, 'wx', 0o644)
  try {
    ftruncateSync(fd, layout.imageBytes)
    writeBootRegion(fd, plan.label, layout)
    writeFats(fd, plan, layout)
    for (const dir of plan.directories) writeDirectory(fd, dir, plan.label, layout)
    copyFiles(fd, plan, layout, hooks)
  } finally {
    closeSync(fd)
  }
}

function writeBootRegion(fd: number, label: string, layout: VolumeLayout): void {
  const boot = encodeBootSector({ ...layout, label, volumeId: (Date.now() ^ (Math.random() * 0xffffffff)) >>> 0 })
  const free = layout.clusters - layout.usedClusters
  const fsInfo = encodeFsInfo(free, free > 0 ? 2 + layout.usedClusters : 0xffffffff)
  for (const base of [0, BACKUP_BOOT_SECTOR]) {
    writeSync(fd, boot, 0, SECTOR, base * SECTOR)
    writeSync(fd, fsInfo, 0, SECTOR, (base + 1) * SECTOR)
  }
}

function writeFats(fd: number, plan: VolumePlan, layout: VolumeLayout): void {
  const fat = new Uint32Array((layout.fatSectors * SECTOR) / 4)
  fat[0] = 0x0ffffff8 // media byte in the low 8 bits
  fat[1] = FAT_END_OF_CHAIN
  const chain = (first: number, count: number): void => {
    for (let c = first; c < first + count - 1; c++) fat[c] = c + 1
    if (count > 0) fat[first + count - 1] = FAT_END_OF_CHAIN
  }
  for (const dir of plan.directories) chain(dir.firstCluster, dir.clusterCount)
  for (const file of plan.files) chain(file.firstCluster, file.clusterCount)
  const bytes = Buffer.from(fat.buffer, fat.byteOffset, fat.byteLength)
  writeAll(fd, bytes, layout.reservedSectors * SECTOR)
  writeAll(fd, bytes, (layout.reservedSectors + layout.fatSectors) * SECTOR)
}

function writeDirectory(fd: number, dir: PlannedDir, label: string, layout: VolumeLayout): void {
  const buffer = Buffer.alloc(dir.clusterCount * layout.clusterBytes)
  const stamp = toDosStamp(dir.mtime)
  let offset = 0
  const put = (shortName: string, attributes: number, firstCluster: number, size: number, when = stamp): void => {
    writeShortEntry(buffer, offset, { shortName, attributes, firstCluster, size, stamp: when })
    offset += DIR_ENTRY
  }
  if (dir.isRoot) {
    put(label.padEnd(11, ' '), ATTR_VOLUME_ID, 0, 0)
  } else {
    put('.'.padEnd(11, ' '), ATTR_DIRECTORY, dir.firstCluster, 0)
    // `..` of a first-level directory points at cluster 0, by the FAT specification, not at 2.
    put('..'.padEnd(11, ' '), ATTR_DIRECTORY, dir.parent === undefined || dir.parent.isRoot ? 0 : dir.parent.firstCluster, 0)
  }
  for (const child of dir.children) {
    if (child.needsLongEntries) offset = writeLongEntries(buffer, offset, child.longName, child.shortName)
    const isDir = child.kind === 'dir'
    put(child.shortName, isDir ? ATTR_DIRECTORY : ATTR_ARCHIVE, child.firstCluster, isDir ? 0 : child.size, toDosStamp(child.mtime))
  }
  writeAll(fd, buffer, clusterOffset(dir.firstCluster, layout))
}

function clusterOffset(cluster: number, layout: VolumeLayout): number {
  return layout.dataStartBytes + (cluster - 2) * layout.clusterBytes
}

function copyFiles(fd: number, plan: VolumePlan, layout: VolumeLayout, hooks: WriteHooks): void {
  const progress = { bytesDone: 0, bytesTotal: plan.payloadBytes }
  const chunk = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(plan.payloadBytes, 1)))
  const zeros = Buffer.alloc(chunk.length)
  let lastReport = 0
  const advance = (bytes: number): void => {
    if (hooks.isCancelled()) throw new BpvmError('CANCELLED', 'building the image was cancelled')
    progress.bytesDone += bytes
    if (progress.bytesDone - lastReport >= PROGRESS_STEP || progress.bytesDone === progress.bytesTotal) {
      lastReport = progress.bytesDone
      hooks.onProgress({ ...progress })
    }
  }
  for (const file of plan.files) {
    if (file.size === 0) continue
    const at = clusterOffset(file.firstCluster, layout)
    if ('bytes' in file.source) {
      writeAll(fd, Buffer.from(file.source.bytes.buffer, file.source.bytes.byteOffset, file.source.bytes.byteLength), at)
      advance(file.size)
    } else {
      copyHostFile(file, fd, at, { chunk, zeros, advance })
    }
  }
}

interface CopyState {
  chunk: Buffer
  zeros: Buffer
  advance: (bytes: number) => void
}

/** Opens a host file; one checked earlier is opened without following a link and must still be the file checked. */
function openSource(source: { path: string; identity?: FileIdentity }): number {
  const { path, identity } = source
  if (!identity) return openSync(path, 'r')
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new BpvmError('SYMLINK_REFUSED', `${path} became a symbolic link after it was checked`, { path })
    throw error
  }
  const info = fstatSync(fd)
  if (info.dev !== identity.dev || info.ino !== identity.ino) {
    closeSync(fd)
    throw new BpvmError('SOURCE_CHANGED', `${path} was replaced by another file after it was checked`, { path })
  }
  return fd
}

function copyHostFile(file: PlannedFile, out: number, at: number, { chunk, zeros, advance }: CopyState): void {
  const source = file.source as { path: string; identity?: FileIdentity }
  const path = source.path
  const fd = openSource(source)
  try {
    if (fstatSync(fd).size !== file.size) throw changedWhileReading(path)
    let done = 0
    while (done < file.size) {
      const want = Math.min(chunk.length, file.size - done)
      const got = readSync(fd, chunk, 0, want, done)
      if (got === 0) throw changedWhileReading(path)
      // The image is sparse: a run of zeros is already there, so skipping it keeps holes holes.
      if (chunk.compare(zeros, 0, got, 0, got) !== 0) writeAll(out, chunk.subarray(0, got), at + done)
      done += got
      advance(got)
    }
  } finally {
    closeSync(fd)
  }
}

function changedWhileReading(path: string): BpvmError {
  return new BpvmError('SOURCE_CHANGED', `${path} changed size while it was being copied`, { path })
}

function writeAll(fd: number, bytes: Buffer, position: number): void {
  let done = 0
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done)
}
