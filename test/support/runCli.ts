import { fileURLToPath } from 'node:url'
import { execa } from 'execa'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const cliSource = fileURLToPath(new URL('../../src/main/cli/main.ts', import.meta.url))

export interface CliRun {
  exitCode: number
  stdout: string
  stderr: string
  /** stderr split into its non-empty lines. */
  stderrLines: string[]
}

/** The node command line that runs the CLI from its TypeScript source. */
export function cliCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', cliSource, ...args]]
}

export interface CliRunOptions {
  /** A command the CLI is run under, e.g. `unshare -m …`; the node command line is appended. */
  prefix?: readonly string[]
  /** Variables to set or override. */
  env?: Record<string, string>
  /** How long the CLI may run before it is stopped (SIGTERM); 60 s unless given. */
  timeoutMs?: number
}

/** Runs `bpvm <args>` from source and collects everything it printed. */
export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const [node, nodeArgs] = cliCommand(args)
  const prefix = options.prefix ?? []
  const [file, fileArgs] = prefix.length > 0 ? [prefix[0] ?? '', [...prefix.slice(1), node, ...nodeArgs]] : [node, nodeArgs]
  const result = await execa(file, fileArgs, { cwd: repoRoot, reject: false, stdin: 'ignore', timeout: options.timeoutMs ?? 60_000, ...(options.env ? { env: options.env } : {}) })
  const stderr = String(result.stderr)
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr,
    stderrLines: stderr.split('\n').filter((line) => line !== '')
  }
}

/** The JSON envelope the CLI printed with `--json`. */
export function envelope(run: CliRun): { ok: boolean; value?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } } {
  return JSON.parse(run.stdout) as { ok: boolean; value?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } }
}
