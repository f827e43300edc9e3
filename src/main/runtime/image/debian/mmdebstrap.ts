import { resolve } from 'node:path'
import { ExecaError, execa } from 'execa'
import { BpvmError } from '../../../../shared/errors'

/**
 * The only door to `mmdebstrap`: a Debian root file system from an archive, into a directory.
 *
 * It runs in root mode (the only mode that makes a directory with the right owners) inside a
 * mount and PID namespace of its own (`unshare`): the /proc, /sys and /dev it mounts into the
 * tree live in that namespace and vanish with it, so no kill, however abrupt, leaves host
 * file systems mounted inside a tree that is about to be removed; and cancelling kills the
 * namespace's first process, which takes apt, dpkg and every maintainer script down with it.
 */

export type MmdebstrapPhase = 'resolve' | 'download' | 'unpack'

export interface MmdebstrapRequest {
  suite: string
  mirror: string
  packages: readonly string[]
  /** Must not exist yet, or be empty. */
  target: string
  onPhase?: (phase: MmdebstrapPhase, message: string) => void
  signal?: AbortSignal
}

const TIMEOUT_MS = 30 * 60_000
// Documentation, manuals and translations are not needed to run a service; copyright files are kept.
const DPKG_OPTIONS = ['path-exclude=/usr/share/man/*', 'path-exclude=/usr/share/locale/*', 'path-exclude=/usr/share/doc/*', 'path-include=/usr/share/doc/*/copyright']

/** mmdebstrap's own status lines, mapped to the build's steps. */
const PHASES: Array<[RegExp, MmdebstrapPhase, string]> = [
  [/^I: running apt-get update/, 'resolve', 'reading the package lists of the mirror'],
  [/^I: downloading packages/, 'download', 'downloading the packages'],
  [/^I: extracting archives/, 'unpack', 'unpacking the packages'],
  [/^I: installing remaining packages/, 'unpack', 'installing the packages (maintainer scripts, the kernel\'s initrd)']
]

export function mmdebstrapArgs(request: Omit<MmdebstrapRequest, 'onPhase' | 'signal'>): string[] {
  return [
    // unshare: new mount and PID namespaces; its child is PID 1 there and is killed when unshare ends.
    '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc', '--',
    'mmdebstrap', '--mode=root', '--variant=minbase', '--format=directory', '--components=main',
    `--include=${request.packages.join(',')}`,
    ...DPKG_OPTIONS.map((option) => `--dpkgopt=${option}`),
    '--aptopt=Acquire::Retries "2"',
    '--', request.suite, resolve(request.target), request.mirror
  ]
}

export async function runMmdebstrap(request: MmdebstrapRequest): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new BpvmError('NEEDS_ROOT', 'building the Debian image needs root: mmdebstrap installs packages in a chroot (run it as root, or with sudo)')
  }
  const tail: string[] = []
  const child = execa('unshare', mmdebstrapArgs(request), {
    timeout: TIMEOUT_MS,
    stdin: 'ignore',
    env: { LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
    ...(request.signal ? { cancelSignal: request.signal } : {}),
    forceKillAfterDelay: 5_000
  })
  let pending = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      tail.push(line)
      if (tail.length > 60) tail.shift()
      const phase = PHASES.find(([pattern]) => pattern.test(line))
      if (phase) request.onPhase?.(phase[1], phase[2])
    }
  })
  try {
    await child
  } catch (error) {
    throw mmdebstrapFailure(error, [...tail, pending].join('\n'), request)
  }
}

function mmdebstrapFailure(error: unknown, stderr: string, request: MmdebstrapRequest): unknown {
  if (!(error instanceof ExecaError)) return error
  if (error.code === 'ENOENT') return new BpvmError('PROGRAM_NOT_FOUND', 'unshare is not installed (install the util-linux package)', { program: 'unshare' })
  if (error.isCanceled) return new BpvmError('CANCELLED', 'building the Debian image was cancelled', { program: 'mmdebstrap' })
  if (error.timedOut) return new BpvmError('MMDEBSTRAP_FAILED', `mmdebstrap timed out after ${TIMEOUT_MS / 60_000} minutes`, { program: 'mmdebstrap' })
  if (/unshare: failed to execute mmdebstrap|mmdebstrap: No such file/.test(stderr)) {
    return new BpvmError('PROGRAM_NOT_FOUND', 'mmdebstrap is not installed (install the mmdebstrap package)', { program: 'mmdebstrap' })
  }
  const missing = [...stderr.matchAll(/Unable to locate package (\S+)/g)].map((m) => m[1]!)
  if (missing.length > 0) {
    return new BpvmError('PACKAGE_NOT_FOUND', `include: ${request.mirror} has no package ${[...new Set(missing)].join(', ')} in ${request.suite}`, { field: 'include', packages: missing })
  }
  if (/No space left on device/i.test(stderr)) {
    return new BpvmError('DISK_FULL', `no space left in ${request.target} while building the Debian image`, { program: 'mmdebstrap' })
  }
  if (/Failed to fetch|Could not resolve|Connection failed|Unable to connect|Temporary failure resolving/i.test(stderr)) {
    return new BpvmError('MIRROR_UNREACHABLE', `mirror: downloading from ${request.mirror} failed: ${lastErrors(stderr)}`, { field: 'mirror' })
  }
  return new BpvmError('MMDEBSTRAP_FAILED', `mmdebstrap failed (exit ${error.exitCode ?? error.signal}): ${lastErrors(stderr)}`, { program: 'mmdebstrap', exitCode: error.exitCode })
}

/** The lines that say what went wrong: apt's and mmdebstrap's `E:` lines, else the last lines. */
function lastErrors(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const errors = lines.filter((l) => /^(E|W): /.test(l))
  return (errors.length > 0 ? errors.slice(-4) : lines.slice(-4)).join(' | ').slice(0, 2000)
}
