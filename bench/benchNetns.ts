// A network namespace for launches in a bench: launchInstance makes TAPs and nftables rules in
// the namespace it runs in, so it runs in one of ours, never the host's. Like the instance
// lifecycle test's host(): a veth to a second namespace gives it a default route, so the
// egress interface resolves, with nothing reachable beyond it.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'

export interface BenchNetwork {
  /** Where the launches run. */
  ns: string
  /** The far end of its default route. */
  upstream: string
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 15_000 })
}

export function createBenchNetwork(): BenchNetwork {
  const id = randomBytes(3).toString('hex')
  const network = { ns: `bpvm-bench-${id}`, upstream: `bpvm-bench-${id}-up` }
  ip('netns', 'add', network.ns)
  try {
    ip('netns', 'add', network.upstream)
    ip('-n', network.ns, 'link', 'set', 'lo', 'up')
    ip('-n', network.ns, 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'down0', 'netns', network.upstream)
    ip('-n', network.ns, 'link', 'set', 'uplink0', 'up')
    ip('-n', network.upstream, 'link', 'set', 'down0', 'up')
    ip('-n', network.ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'uplink0')
    ip('-n', network.ns, 'route', 'add', 'default', 'via', '192.0.2.254')
  } catch (error) {
    deleteBenchNetwork(network)
    throw error
  }
  return network
}

/**
 * Kills whatever still runs in the namespaces (a VM left by a failed or interrupted round: only
 * our own processes can be in there), then deletes them. Synchronous, so it also runs on a signal.
 */
export function deleteBenchNetwork(network: BenchNetwork): void {
  for (const ns of [network.ns, network.upstream]) {
    let pids: string[]
    try {
      pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 15_000 }).split('\n').filter((p) => /^\d+$/.test(p))
    } catch {
      continue // Never made, or already gone.
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // Exited meanwhile.
      }
    }
    try {
      execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore', timeout: 15_000 })
    } catch {
      console.error(`could not delete the network namespace ${ns}; remove it with: ip netns delete ${ns}`)
    }
  }
}

/** Set, to the namespace's name, in the process that runs inside it. */
export const INSIDE_BENCH_NETWORK = 'BPVM_BENCH_NETNS'

/**
 * Runs this same bench script again inside a fresh bench namespace, with `env` (which tells it
 * it is the inside), and deletes the namespace after it, however it ended. Returns its exit code.
 */
export async function runInsideBenchNetwork(env: Record<string, string>, onChild: (child: ReturnType<typeof execa>) => void): Promise<number> {
  const network = createBenchNetwork()
  try {
    const child = execa('ip', ['netns', 'exec', network.ns, process.execPath, ...process.execArgv, process.argv[1]!], {
      env: { ...env, [INSIDE_BENCH_NETWORK]: network.ns },
      stdio: 'inherit',
      reject: false
    })
    onChild(child)
    return (await child).exitCode ?? 1
  } finally {
    deleteBenchNetwork(network)
  }
}

/**
 * The outside of a bench that measures in a namespace: a temporary BPVM_HOME, `prepare` (what
 * needs the host's network, e.g. building a guest), then this script again inside a fresh
 * namespace. Ctrl-C (or SIGTERM) stops the measuring process too; the home is removed and
 * `afterwards` runs however it ended.
 */
export async function runBenchOutside(homePrefix: string, prepare: (home: string) => Promise<void>, afterwards?: () => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), homePrefix))
  let child: ReturnType<typeof execa> | undefined
  const interrupt = (signal: NodeJS.Signals): void => {
    process.exitCode = 130
    child?.kill(signal)
  }
  process.on('SIGINT', interrupt).on('SIGTERM', interrupt)
  try {
    await prepare(home)
    // Interrupted while preparing: nothing to measure.
    if (process.exitCode === 130) return
    const exitCode = await runInsideBenchNetwork({ BPVM_HOME: home }, (started) => (child = started))
    if (exitCode !== 0) process.exitCode ??= exitCode
  } finally {
    rmSync(home, { recursive: true, force: true })
    await afterwards?.()
  }
}
