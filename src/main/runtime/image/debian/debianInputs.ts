import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BpvmError, invalidInput } from '../../../../shared/errors'
import { checkHttpUrl } from '../httpClient'
import { DEBIAN_PACKAGE_NAME } from '../devGuest/aptCache'

/** What a Debian guest image is built from: suite, mirror and packages, each checked. */

export const DEFAULT_SUITE = 'bookworm'

/**
 * Always in the image: an init that acts on the power button (systemd-logind needs dbus),
 * cloud-init and what its modules call (sfdisk, growpart, mkfs.ext4), networking for the
 * NIC cloud-init configures (networkd, with resolved for the DNS servers it is given), the
 * cloud kernel, and the tools a service or a person debugging one expects.
 */
export const BASE_PACKAGES = [
  'systemd', 'systemd-sysv', 'udev', 'dbus', 'libpam-systemd', 'systemd-resolved',
  'cloud-init', 'cloud-guest-utils', 'fdisk', 'e2fsprogs',
  'linux-image-cloud-amd64',
  'iproute2', 'iputils-ping', 'ca-certificates',
  // The guest's end of the bridge relay, for hosts without vsock.
  'socat'
] as const

// Debian's code names and aliases, for telling a Debian archive apart from another distribution's.
const DEBIAN_SUITES = ['bullseye', 'bookworm', 'trixie', 'forky', 'sid', 'oldstable', 'stable', 'testing', 'unstable']
const SUITE = /^[a-z][a-z0-9-]{1,30}$/
const MAX_INCLUDES = 200

export interface DebianInputs {
  suite: string
  /** The archive's base URL, without a trailing slash: `http://deb.debian.org/debian`. */
  mirror: string
  /** Sorted, without duplicates: the base packages and the user's. */
  packages: string[]
  /** Only the user's, as given (sorted, unique): shown in listings. */
  include: string[]
}

export interface DebianInputsRequest {
  suite?: string
  mirror?: string
  include?: readonly string[]
}

export function checkSuite(suite: string): string {
  if (!SUITE.test(suite)) throw invalidInput('suite', `${JSON.stringify(suite)} is not a Debian suite name such as ${DEFAULT_SUITE}`)
  return suite
}

export function checkMirror(url: string): string {
  const parsed = checkHttpUrl(url, 'mirror')
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw invalidInput('mirror', 'must be a plain archive URL, without a query, fragment or credentials')
  }
  return parsed.href.replace(/\/+$/, '')
}

export function checkIncludes(include: readonly string[]): string[] {
  if (include.length > MAX_INCLUDES) throw invalidInput('include', `at most ${MAX_INCLUDES} packages`)
  for (const name of include) {
    if (typeof name !== 'string' || !DEBIAN_PACKAGE_NAME.test(name)) throw invalidInput('include', `${JSON.stringify(name)} is not a Debian package name`)
  }
  return [...new Set(include)].sort()
}

/** Checks a request and fills in the defaults: the suite bookworm, the mirror the host's apt uses. */
export async function debianInputs(request: DebianInputsRequest = {}): Promise<DebianInputs> {
  const suite = checkSuite(request.suite ?? DEFAULT_SUITE)
  const mirror = request.mirror === undefined ? await hostDebianMirror() : checkMirror(request.mirror)
  const include = checkIncludes(request.include ?? [])
  return { suite, mirror, include, packages: [...new Set([...BASE_PACKAGES, ...include])].sort() }
}

const APT_SOURCES = '/etc/apt/sources.list'
const APT_SOURCES_DIR = '/etc/apt/sources.list.d'

/** `deb` entries of apt's sources, one-line and deb822 alike: each URI with its suites. */
export function parseAptSources(text: string, deb822: boolean): Array<{ uri: string; suites: string[] }> {
  if (!deb822) {
    return text.split('\n').flatMap((raw) => {
      const line = raw.replace(/#.*/, '').trim()
      const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line)
      return match ? [{ uri: match[1]!, suites: [match[2]!] }] : []
    })
  }
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const field = (key: string): string[] => {
      const match = new RegExp(`^${key}:[ \\t]*(.*)$`, 'mi').exec(stanza.split('\n').filter((l) => !l.startsWith('#')).join('\n'))
      return match ? match[1]!.trim().split(/\s+/).filter(Boolean) : []
    }
    if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) return []
    return field('URIs').map((uri) => ({ uri, suites: field('Suites') }))
  })
}

/** The first Debian archive in the host's apt sources (not a security or updates archive). */
export async function hostDebianMirror(): Promise<string> {
  const files: Array<{ path: string; deb822: boolean }> = [{ path: APT_SOURCES, deb822: false }]
  for (const name of (await readdir(APT_SOURCES_DIR).catch(() => [] as string[])).sort()) {
    if (name.endsWith('.list')) files.push({ path: join(APT_SOURCES_DIR, name), deb822: false })
    if (name.endsWith('.sources')) files.push({ path: join(APT_SOURCES_DIR, name), deb822: true })
  }
  for (const file of files) {
    const text = await readFile(file.path, 'utf8').catch(() => '')
    for (const entry of parseAptSources(text, file.deb822)) {
      const debian = entry.suites.some((suite) => DEBIAN_SUITES.includes(suite))
      if (debian && /^https?:\/\//.test(entry.uri)) return checkMirror(entry.uri)
    }
  }
  throw new BpvmError('NO_DEBIAN_MIRROR', `mirror: apt's sources on this host name no Debian archive; give one with --mirror (e.g. http://deb.debian.org/debian)`, { field: 'mirror' })
}
