import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { execa } from 'execa'

/**
 * The generic "is it installed, and which version" probe behind `bpvm doctor`. It only
 * looks a program up and asks for its version; using a program is left to that program's module.
 */

// Debian keeps admin tools (mkfs.fat, nft, ip) in sbin, which a normal user's PATH may lack.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin']

export interface ProbeResult {
  path?: string
  version?: string
}

/** Absolute path of `program` on PATH (then the sbin directories), like `which`. */
export async function findProgram(program: string, pathVariable = process.env.PATH ?? ''): Promise<string | undefined> {
  const dirs = [...pathVariable.split(delimiter).filter((d) => d !== ''), ...SBIN_DIRS]
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, program)
    const info = await stat(candidate).catch(() => undefined)
    if (!info?.isFile()) continue
    const executable = await access(candidate, constants.X_OK).then(
      () => true,
      () => false
    )
    if (executable) return candidate
  }
  return undefined
}

/**
 * Runs `path versionArgs...` briefly and returns the first line it prints (stdout and stderr
 * together) that matches `pattern`, by default the first non-empty one.
 */
export async function versionLine(path: string, versionArgs: readonly string[], pattern = /\S/, timeoutMs = 3000): Promise<string | undefined> {
  const result = await execa(path, versionArgs, { timeout: timeoutMs, reject: false, stdin: 'ignore', all: true, extendEnv: true, env: { LC_ALL: 'C' } })
  if (result.timedOut) return undefined
  return String(result.all ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => pattern.test(l))
}

export async function probeProgram(program: string, versionArgs: readonly string[], pattern?: RegExp): Promise<ProbeResult> {
  const path = await findProgram(program)
  if (!path) return {}
  const version = await versionLine(path, versionArgs, pattern)
  return version === undefined ? { path } : { path, version }
}
