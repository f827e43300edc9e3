import { realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { BpvmError } from '../../../../shared/errors'
import { GUEST_RELAY_DIR, RELAY_LOADER, RELAY_PROGRAM } from './devGuestLayout'
import { neededLibraries } from './dynamicLoader'
import type { ArchiveEntry } from './newcArchive'

/** Debian's multiarch library directories, as the packages lay them out. */
const LIBRARY_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu']

export interface RelayFiles {
  program: string
  loader: string
  /** By soname, each the real file in the unpacked tree. */
  libraries: Array<{ soname: string; path: string }>
}

/**
 * The relay program and exactly the libraries it loads, from the packages unpacked under `root`.
 * A library the loader would take from the host instead is an error: the guest has no host.
 */
export async function relayFiles(root: string): Promise<RelayFiles> {
  const tree = await realpath(root)
  const program = join(tree, 'usr/bin', RELAY_PROGRAM)
  const loader = join(tree, LIBRARY_DIRS[0] as string, RELAY_LOADER)
  const inTree = async (path: string): Promise<string> => {
    const real = await realpath(path).catch(() => path)
    if (!real.startsWith(tree + sep)) throw new BpvmError('LOADER_FAILED', `${RELAY_PROGRAM} needs ${path}, which none of its packages holds`, { path })
    return real
  }
  await Promise.all([stat(program), stat(loader)].map((p) => p.catch(() => {
    throw new BpvmError('LOADER_FAILED', `the unpacked relay packages have no ${RELAY_PROGRAM} or ${RELAY_LOADER}`, { root })
  })))
  const needed = await neededLibraries(loader, LIBRARY_DIRS.map((dir) => join(tree, dir)), program)
  const libraries = await Promise.all(needed.map(async (lib) => ({ soname: lib.soname, path: await inTree(lib.path) })))
  return { program, loader, libraries }
}

/**
 * The relay's files in the initramfs, flat in one directory: the init runs the loader on the
 * program with that directory as its library path, so nothing depends on the guest's lib dirs.
 */
export async function relayEntries(files: RelayFiles): Promise<ArchiveEntry[]> {
  const dir = GUEST_RELAY_DIR.replace(/^\/+/, '')
  const file = async (name: string, source: string, mode: number): Promise<ArchiveEntry> => ({ kind: 'file', path: `${dir}/${name}`, mode, source: { path: source, size: (await stat(source)).size } })
  // Its parents are in the archive it follows.
  return [
    { kind: 'dir', path: dir, mode: 0o755 },
    await file(RELAY_PROGRAM, files.program, 0o755),
    await file(RELAY_LOADER, files.loader, 0o755),
    ...(await Promise.all(files.libraries.map((lib) => file(lib.soname, lib.path, 0o644))))
  ]
}
