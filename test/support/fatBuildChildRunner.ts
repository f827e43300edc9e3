import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { ErrorInfo } from '../../src/shared/result'
import type { FatBuildReport } from '../../src/main/runtime/disk/fat/fatTypes'

const run = promisify(execFile)
const child = fileURLToPath(new URL('./fatBuildChild.ts', import.meta.url))

export interface ChildOutcome {
  ok: boolean
  report?: FatBuildReport
  error?: ErrorInfo
  maxRssKiB: number
}

/** Runs the child build directly, or through `prefix` (e.g. an `unshare` wrapper script). */
export async function buildInChild(args: string[], prefix: string[] = []): Promise<{ outcome: ChildOutcome; stdout: string }> {
  const command = [...prefix, process.execPath, '--import', 'tsx', child, ...args]
  const { stdout } = await run(command[0]!, command.slice(1), { cwd: fileURLToPath(new URL('../..', import.meta.url)) })
  const line = stdout.split('\n').find((l) => l.startsWith('{'))
  if (!line) throw new Error(`child printed no outcome:\n${stdout}`)
  return { outcome: JSON.parse(line) as ChildOutcome, stdout }
}
