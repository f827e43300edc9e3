import { execFileSync } from 'node:child_process'
import { describe } from 'vitest'

const inCi = process.env.CI === 'true' || process.env.CI === '1'

function hasProgram(program: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/**
 * Programs missing from this host, or `[]`. In CI a missing prerequisite is a failure, so
 * this throws there; elsewhere the caller skips and the message says what to install.
 */
export function missingPrograms(programs: readonly string[]): string[] {
  const missing = programs.filter((p) => !hasProgram(p))
  if (missing.length > 0 && inCi) {
    throw new Error(`CI is missing required programs: ${missing.join(', ')} (scripts/install-system-deps.sh installs them)`)
  }
  return missing
}

/** `describe` that runs only where every program is present (always, in CI). */
export function describeWithPrograms(programs: readonly string[], name: string, body: () => void): void {
  const missing = missingPrograms(programs)
  if (missing.length > 0) {
    describe.skip(`${name} (skipped: install ${missing.join(', ')})`, body)
    console.warn(`skipping "${name}": missing ${missing.join(', ')}`)
  } else {
    describe(name, body)
  }
}

/** `describe` that needs root (mount namespaces, read-only bind mounts); CI runs as root. */
export function describeAsRoot(name: string, body: () => void): void {
  if (!isRoot()) {
    if (inCi) throw new Error(`CI must run as root for "${name}"`)
    describe.skip(`${name} (skipped: needs root)`, body)
    console.warn(`skipping "${name}": needs root`)
  } else {
    describe(name, body)
  }
}
