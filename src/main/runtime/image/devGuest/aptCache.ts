import { readdir, stat } from 'node:fs/promises'
import { execa } from 'execa'
import { BpvmError } from '../../../../shared/errors'
import { programFailure, type ProgramInfo } from './programFailure'

/** The only door to `apt-cache`: it reads the local package index and never the network. */

const INFO: ProgramInfo = { program: 'apt-cache', debianPackage: 'apt', code: 'APT_FAILED', timeoutMs: 30_000 }

/** A Debian package name: also guarantees apt never reads it as an option. */
export const DEBIAN_PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/

export interface PackageRecord {
  name: string
  version: string
  /** Names this package depends on (Depends and Pre-Depends); of each `a | b` alternative the first. */
  depends: string[]
}

/** The record apt would install for `name` (its candidate version). */
export async function candidatePackage(name: string): Promise<PackageRecord> {
  return (await candidatePackages([name]))[0] as PackageRecord
}

/** The records apt would install for `names`, in that order, from one `apt-cache show`. */
export async function candidatePackages(names: readonly string[]): Promise<PackageRecord[]> {
  for (const name of names) {
    if (!DEBIAN_PACKAGE_NAME.test(name)) throw new BpvmError('INVALID_INPUT', `${JSON.stringify(name)} is not a Debian package name`)
  }
  let stdout: string
  try {
    const result = await execa('apt-cache', ['show', '--no-all-versions', ...names], { timeout: INFO.timeoutMs, stdin: 'ignore', env: { LC_ALL: 'C' } })
    stdout = result.stdout
  } catch (error) {
    const failure = programFailure(INFO, `apt-cache show ${names.join(' ')}`, error)
    if (failure instanceof BpvmError && failure.code === INFO.code) {
      // An empty or stale index is the usual cause on a fresh host.
      failure.message += ` (is the package index current? run apt-get update as root)`
    }
    throw failure
  }
  const stanzas = stdout.split(/\n\s*\n/)
  const stanzaOf = (name: string): string => stanzas.find((stanza) => new RegExp(`^Package: *${name.replace(/[.+]/g, '\\$&')} *$`, 'm').test(stanza)) ?? ''
  return names.map((name) => parseRecord(name, stanzaOf(name)))
}

/** Reads the first stanza of `apt-cache show` output. */
export function parseRecord(name: string, text: string): PackageRecord {
  const stanza = text.split(/\n\s*\n/)[0] ?? ''
  const field = (key: string): string | undefined => new RegExp(`^${key}: *(.*)$`, 'm').exec(stanza)?.[1]?.trim()
  const version = field('Version')
  if (field('Package') !== name || !version) {
    throw new BpvmError('APT_FAILED', `apt-cache has no installable version of ${name} (run apt-get update as root)`, { program: 'apt-cache' })
  }
  const depends = [field('Pre-Depends'), field('Depends')]
    .filter((value) => value !== undefined)
    .join(',')
    .split(',')
    .map((entry) => entry.split('|')[0]?.trim().split(/[\s(:]/)[0] ?? '')
    .filter((dep) => dep !== '')
  return { name, version, depends }
}

const APT_LISTS = '/var/lib/apt/lists'
const APT_CONFIG_DIRS = ['/etc/apt/sources.list.d', '/etc/apt/preferences.d']

/**
 * What apt's candidate versions depend on, cheaply: the names, sizes and times of the package
 * lists and of the sources and preferences. Equal stamps mean `apt-cache` would answer the same.
 */
export async function aptIndexStamp(): Promise<string> {
  const entries: string[] = []
  const describe = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined)
    if (info) entries.push(`${path}:${info.size}:${info.mtimeMs}`)
  }
  for (const name of (await readdir(APT_LISTS).catch(() => [] as string[])).sort()) {
    if (name !== 'lock' && name !== 'partial' && name !== 'auxfiles') await describe(`${APT_LISTS}/${name}`)
  }
  await describe('/etc/apt/sources.list')
  for (const dir of APT_CONFIG_DIRS) {
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) await describe(`${dir}/${name}`)
  }
  return entries.join('\n')
}

/**
 * `root` and everything it depends on, transitively, at apt's candidate versions, sorted by name:
 * what a program needs to run from a tree of its own. One `apt-cache` call per level.
 */
export async function dependencyClosure(root: string): Promise<PackageRecord[]> {
  const found = new Map<string, PackageRecord>()
  let wanted = [root]
  while (wanted.length > 0) {
    const records = await candidatePackages(wanted)
    for (const record of records) found.set(record.name, record)
    wanted = [...new Set(records.flatMap((record) => record.depends))].filter((name) => !found.has(name))
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name))
}
