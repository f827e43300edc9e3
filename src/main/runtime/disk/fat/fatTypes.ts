/** Which file a path named when it was checked (lstat's device and inode). */
export interface FileIdentity {
  dev: number
  ino: number
}

/**
 * Where a file's bytes come from: a host file (streamed) or bytes held in memory (small,
 * generated files). A host file with an `identity` is opened without following a link and must
 * still be that file: a path swapped for a link or another file after the check is refused.
 */
export type FatSource = { path: string; identity?: FileIdentity } | { bytes: Uint8Array }

export interface FatFileNode {
  kind: 'file'
  /** Long name as the guest will see it (VFAT long names, UTF-16 on disk). */
  name: string
  source: FatSource
}

export interface FatDirNode {
  kind: 'dir'
  name: string
  children: FatNode[]
  /** Host directory whose modification time the entry takes; omitted means "now". */
  hostPath?: string
}

export type FatNode = FatFileNode | FatDirNode

export interface FatVolumeSpec {
  /** Volume label, 1–11 characters of A–Z 0–9 space and `_-`; stored in the boot sector and the root directory. */
  label: string
  entries: FatNode[]
  /** Image to create; an existing file is replaced only once the new image is complete. */
  out: string
}

export interface FatBuildProgress {
  bytesDone: number
  bytesTotal: number
}

export interface FatBuildReport {
  path: string
  /** Apparent size of the (sparse) image. */
  imageBytes: number
  /** Bytes of file content written into it. */
  payloadBytes: number
  files: number
  directories: number
  clusterBytes: number
  clusters: number
}
