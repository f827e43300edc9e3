import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { execa, type ResultPromise } from 'execa'
import { afterAll, afterEach } from 'vitest'

/**
 * Network namespaces for tests: every `ip`/`nft` change a test makes happens in a namespace
 * of its own, which is deleted after each test whether it passed or not.
 */

const COMMAND_TIMEOUT_MS = 15_000

export interface NetnsFixture {
  /** Creates `bpvm-test-<random>` with its loopback up; deleted after the current test. */
  create(): Promise<string>
  /** Runs a program inside `ns` and returns its stdout; fails with its stderr. */
  run(ns: string, program: string, args: readonly string[]): Promise<string>
  /** Starts a long-running program inside `ns`; killed after the current test. */
  spawn(ns: string, program: string, args: readonly string[]): ResultPromise
  /** Joins two namespaces with a veth pair named `nameA` in `nsA` and `nameB` in `nsB`, both up. */
  veth(nsA: string, nameA: string, nsB: string, nameB: string): Promise<void>
}

const everCreated = new Set<string>()

// A worker that dies before its hooks run still removes its namespaces on exit.
process.once('exit', () => {
  for (const ns of everCreated) {
    try {
      execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore', timeout: 5_000 })
    } catch {
      // Already gone.
    }
  }
})

/** Deletes `ns`; returns why it could not, so one failure does not stop the others. */
async function deleteNetns(ns: string): Promise<string | undefined> {
  const { failed, stderr } = await execa('ip', ['netns', 'delete', ns], { timeout: COMMAND_TIMEOUT_MS, reject: false })
  if (failed) return `${ns}: ${String(stderr).trim()}`
  everCreated.delete(ns)
  return undefined
}

/** Call at the top of a `describe`: registers the hooks that clean up after every test. */
export function useNetns(): NetnsFixture {
  const namespaces: string[] = []
  const processes: ResultPromise[] = []

  async function cleanup(): Promise<void> {
    // Processes first: a namespace outlives `ip netns delete` while anything still runs in it.
    for (const child of processes.splice(0)) {
      child.kill('SIGKILL')
      await child.catch(() => undefined)
    }
    const failures = (await Promise.all(namespaces.splice(0).map(deleteNetns))).filter((f) => f !== undefined)
    if (failures.length > 0) throw new Error(`could not delete test namespaces: ${failures.join('; ')}`)
  }
  afterEach(cleanup)
  afterAll(cleanup)

  const run = async (ns: string, program: string, args: readonly string[]): Promise<string> => {
    const { stdout } = await execa('ip', ['netns', 'exec', ns, program, ...args], { timeout: COMMAND_TIMEOUT_MS, stdin: 'ignore' })
    return stdout
  }

  return {
    async create() {
      const ns = `bpvm-test-${randomBytes(4).toString('hex')}`
      await execa('ip', ['netns', 'add', ns], { timeout: COMMAND_TIMEOUT_MS })
      namespaces.push(ns)
      everCreated.add(ns)
      await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { timeout: COMMAND_TIMEOUT_MS })
      return ns
    },
    run,
    spawn(ns, program, args) {
      const child = execa('ip', ['netns', 'exec', ns, program, ...args], { stdin: 'ignore', buffer: false })
      processes.push(child)
      return child
    },
    async veth(nsA, nameA, nsB, nameB) {
      // Created straight inside the namespaces, so the host's own interface names never matter.
      await execa('ip', ['-n', nsA, 'link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB], { timeout: COMMAND_TIMEOUT_MS })
      await execa('ip', ['-n', nsA, 'link', 'set', nameA, 'up'], { timeout: COMMAND_TIMEOUT_MS })
      await execa('ip', ['-n', nsB, 'link', 'set', nameB, 'up'], { timeout: COMMAND_TIMEOUT_MS })
    }
  }
}

export interface LineLog {
  /** Every complete line printed so far. */
  lines: string[]
  /** Resolves with the first line, printed before or after the call, that passes `test`; fails after `timeoutMs`. */
  waitFor(test: (line: string) => boolean, timeoutMs: number): Promise<string>
}

/** Keeps every stdout line of `child`, so a line printed before anyone waits for it is not lost. */
export function lineLog(child: ResultPromise): LineLog {
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let pending = ''
  let exited = false
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8')
    const parts = pending.split('\n')
    pending = parts.pop() ?? ''
    lines.push(...parts)
    for (const wake of waiters) wake()
  })
  child.once('exit', () => {
    exited = true
    for (const wake of waiters) wake()
  })
  const waitFor = (test: (line: string) => boolean, timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(test)
        if (found !== undefined) done(() => resolve(found))
        else if (exited) done(() => reject(new Error(`the process exited before printing the expected line; it printed: ${lines.join(' | ')}`)))
      }
      const done = (settle: () => void): void => {
        clearTimeout(timer)
        waiters.delete(check)
        settle()
      }
      const timer = setTimeout(() => done(() => reject(new Error(`no matching line within ${timeoutMs} ms; printed: ${lines.join(' | ')}`))), timeoutMs)
      waiters.add(check)
      check()
    })
  return { lines, waitFor }
}
