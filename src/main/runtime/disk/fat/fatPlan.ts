import { statSync } from 'node:fs'
import { BpvmError } from '../../../../shared/errors'
import { MAX_DEPTH, MAX_DIR_ENTRIES, MAX_FILE_BYTES, MAX_PATH_BYTES } from './fatLimits'
import { ShortNameAllocator, exactShortName, longEntryCount, longNameProblem } from './fatNames'
import type { FatNode, FatSource, FatVolumeSpec } from './fatTypes'

interface PlannedEntry {
  longName: string
  /** 11 bytes, padded; equals the long name's 8.3 form when no long-name entries are needed. */
  shortName: string
  needsLongEntries: boolean
  mtime: Date
  /** Path inside the volume, for error messages. */
  volumePath: string
  firstCluster: number
  clusterCount: number
}

export interface PlannedFile extends PlannedEntry {
  kind: 'file'
  size: number
  source: FatSource
}

export interface PlannedDir extends PlannedEntry {
  kind: 'dir'
  children: PlannedNode[]
  /** 32-byte entries this directory holds, `.`/`..` and the volume label included. */
  entryCount: number
  isRoot: boolean
  parent: PlannedDir | undefined
}

export type PlannedNode = PlannedFile | PlannedDir

export interface VolumePlan {
  label: string
  root: PlannedDir
  directories: PlannedDir[]
  files: PlannedFile[]
  payloadBytes: number
}

const LABEL_PATTERN = /^[A-Z0-9_ -]{1,11}$/

/** Validates the whole tree and every source before a byte is written; nothing is opened yet. */
export function planVolume(spec: FatVolumeSpec): VolumePlan {
  if (!LABEL_PATTERN.test(spec.label) || spec.label.startsWith(' ')) {
    throw new BpvmError('INVALID_INPUT', `label: "${spec.label}" must be 1–11 characters of A–Z, 0–9, space, "_" or "-"`, { field: 'label' })
  }
  const directories: PlannedDir[] = []
  const files: PlannedFile[] = []
  const now = new Date()
  const root: PlannedDir = {
    kind: 'dir', longName: '', shortName: '', needsLongEntries: false, mtime: now, volumePath: '/',
    firstCluster: 0, clusterCount: 0, children: [], entryCount: 0, isRoot: true, parent: undefined
  }
  const planDir = (dir: PlannedDir, nodes: FatNode[], depth: number): void => {
    directories.push(dir)
    if (depth > MAX_DEPTH) throw new BpvmError('PATH_TOO_DEEP', `${dir.volumePath}: nested more than ${MAX_DEPTH} directories deep`, { path: dir.volumePath })
    const names = new ShortNameAllocator()
    const seen = new Set<string>()
    // Names that are exact 8.3 names keep them; aliases are handed out after, so none collides.
    const exact = nodes.map((n) => exactShortName(n.name))
    exact.forEach((s, i) => {
      if (s !== undefined && !names.reserveExact(s)) exact[i] = undefined
    })
    let entryCount = dir.isRoot ? 1 : 2
    nodes.forEach((node, i) => {
      const volumePath = `${dir.volumePath === '/' ? '' : dir.volumePath}/${node.name}`
      const problem = longNameProblem(node.name)
      if (problem) throw new BpvmError('INVALID_NAME', `${volumePath}: the name ${problem}`, { path: volumePath })
      if (seen.has(node.name)) throw new BpvmError('INVALID_NAME', `${volumePath}: the name appears twice`, { path: volumePath })
      seen.add(node.name)
      if (Buffer.byteLength(volumePath) > MAX_PATH_BYTES) {
        throw new BpvmError('PATH_TOO_DEEP', `${volumePath.slice(0, 60)}…: path longer than ${MAX_PATH_BYTES} bytes`, { path: volumePath })
      }
      const shortName = exact[i] ?? names.alias(node.name)
      const needsLongEntries = exact[i] === undefined
      entryCount += 1 + (needsLongEntries ? longEntryCount(node.name) : 0)
      const base = { longName: node.name, shortName, needsLongEntries, volumePath, firstCluster: 0, clusterCount: 0 }
      if (node.kind === 'dir') {
        const child: PlannedDir = { ...base, kind: 'dir', mtime: hostMtime(node.hostPath) ?? now, children: [], entryCount: 0, isRoot: false, parent: dir }
        dir.children.push(child)
        planDir(child, node.children, depth + 1)
      } else {
        const file = planFile(node.source, base, now)
        dir.children.push(file)
        files.push(file)
      }
    })
    if (entryCount > MAX_DIR_ENTRIES) {
      throw new BpvmError('DIRECTORY_TOO_LARGE', `${dir.volumePath}: ${entryCount} directory entries, FAT allows ${MAX_DIR_ENTRIES}`, { path: dir.volumePath })
    }
    dir.entryCount = entryCount
  }
  planDir(root, spec.entries, 0)
  const payloadBytes = files.reduce((sum, f) => sum + f.size, 0)
  return { label: spec.label, root, directories, files, payloadBytes }
}

type EntryBase = Omit<PlannedFile, 'kind' | 'size' | 'source' | 'mtime'>

function planFile(source: FatSource, base: EntryBase, now: Date): PlannedFile {
  if ('bytes' in source) {
    return { ...base, kind: 'file', size: source.bytes.length, source, mtime: now }
  }
  const info = statSync(source.path, { throwIfNoEntry: false })
  if (!info) throw new BpvmError('SOURCE_NOT_FOUND', `${source.path} does not exist (for ${base.volumePath})`, { path: source.path })
  if (!info.isFile()) throw new BpvmError('INVALID_INPUT', `${source.path} is not a regular file (for ${base.volumePath})`, { path: source.path })
  if (info.size > MAX_FILE_BYTES) {
    throw new BpvmError('SOURCE_TOO_LARGE', `${source.path} is ${info.size} bytes; FAT32 holds files up to 4 GiB − 1 byte (${MAX_FILE_BYTES})`, {
      path: source.path, size: info.size
    })
  }
  return { ...base, kind: 'file', size: info.size, source, mtime: info.mtime }
}

function hostMtime(path: string | undefined): Date | undefined {
  return path === undefined ? undefined : statSync(path, { throwIfNoEntry: false })?.mtime
}
