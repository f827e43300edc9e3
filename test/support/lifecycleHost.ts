import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, expect } from 'vitest'
import { buildDevGuest } from '../../src/main/runtime/image/devGuest/buildDevGuest'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import { useNetns } from './netns'
import { envelope, runCli, type CliRun } from './runCli'
import { useTempDirs } from './tempDirs'

/**
 * The host end-to-end instance tests run `bpvm` on: a network namespace with an uplink and a
 * default route (and no way out), a BPVM_HOME of the test file's own, and a service to launch.
 */

/**
 * Runs `bpvm <args>` in the test's namespace; `within` is a command put between the two, e.g.
 * `unshare -m …`; `timeoutMs` as for runCli, by default `VM_CLI_TIMEOUT_MS`.
 */
/**
 * How long a command that boots or stops VMs may take before the runner stops it: a launch takes
 * seconds here, but several minutes' worth on a host loaded with other tests' TCG guests.
 */
export const VM_CLI_TIMEOUT_MS = 180_000

export type Cli = (args: readonly string[], within?: readonly string[], timeoutMs?: number) => Promise<CliRun>

export interface LifecycleHost {
  ns: string
  /** Holds `service.sh` and `keystore/sr25519/key-1`. */
  work: string
  cli: Cli
}

/** One row of `bpvm ls --json`. */
export type InstanceRow = Record<string, unknown>

/** Call at the top of a `describe`; `label` names the file's own BPVM_HOME. */
export function useLifecycleHost(label: string) {
  const netns = useNetns()
  const tempDir = useTempDirs()
  const root = process.env.BPVM_HOME ?? '/tmp'
  // A home per test file, so one file's `down --all` or empty-lease check never meets another's instances.
  const home = join(root, `${label}-home`)
  const sharedCache = join(root, 'cache')
  // The namespaces have no way out, so the dev guest is built (from Debian packages) beforehand,
  // once per run, into a cache every file's home links to.
  beforeAll(async () => {
    await mkdir(home, { recursive: true })
    await symlink(sharedCache, join(home, 'cache')).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
    await buildDevGuest({ cacheDir: sharedCache })
  }, 300_000)

  // A test that failed half-way leaves its VMs running: they are stopped while their namespace
  // still exists (after-hooks run newest first, so this runs before the namespaces go).
  const clis: Cli[] = []
  afterEach(async () => {
    for (const cli of clis.splice(0)) await cli(['down', '--all', '--force', '--json'])
  })

  const instanceDir = (name: string): string => join(home, 'state', 'instances', name)
  const guestLog = (name: string): string => join(instanceDir(name), 'logs', 'guest.log')

  /** A namespace whose uplink leads to a second one, with `service` as the service to launch. */
  async function host(service: string): Promise<LifecycleHost> {
    const ns = await netns.create()
    const upstream = await netns.create()
    await netns.veth(ns, 'uplink0', upstream, 'down0')
    await netns.run(ns, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'uplink0'])
    await netns.run(ns, 'ip', ['route', 'add', 'default', 'via', '192.0.2.254'])
    const work = await tempDir()
    await mkdir(join(work, 'keystore', 'sr25519'), { recursive: true })
    await writeFile(join(work, 'keystore', 'sr25519', 'key-1'), 'secret')
    await writeFile(join(work, 'service.sh'), service, { mode: 0o755 })
    const cli: Cli = (args, within = [], timeoutMs = VM_CLI_TIMEOUT_MS) => runCli(args, { prefix: ['ip', 'netns', 'exec', ns, ...within], env: { BPVM_HOME: home }, timeoutMs })
    clis.push(cli)
    return { ns, work, cli }
  }

  // The VMM and image are named, not left to the settings' defaults: these tests boot the offline dev guest under QEMU.
  // No node runs in these namespaces, so the RPC check is skipped (loopbackForward.test.ts tests it).
  const launchArgs = (work: string, name: string): string[] => [
    'launch', '--name', name, '--binary', join(work, 'service.sh'), '--keystore', join(work, 'keystore'),
    '--http-rpc-url', 'http://127.0.0.1:9944', '--ws-rpc-url', 'ws://127.0.0.1:9944', '--blueprint-id', '1', '--service-id', '2',
    '--vmm', 'qemu', '--image', 'dev', '--accel', 'tcg', '--memory', '256M', '--storage', '256M', '--no-rpc-check', '--detach', '--json'
  ]

  async function listRows(cli: Cli): Promise<InstanceRow[]> {
    return envelope(await cli(['ls', '--json'])).value as InstanceRow[]
  }

  async function waitForStatus(cli: Cli, name: string, wanted: string, timeoutMs: number): Promise<InstanceRow> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = (await listRows(cli)).find((r) => r.name === name)
      if (found?.status === wanted) return found
      if (Date.now() > deadline) throw new Error(`${name} did not become ${wanted}: ${JSON.stringify(found)}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  /** The guest's serial log once it holds `text`, or as it is after `timeoutMs`. */
  async function waitForGuestLog(name: string, text: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const log = await readFile(guestLog(name), 'utf8').catch(() => '')
      if (log.includes(text) || Date.now() > deadline) return log
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  /** Nothing of any instance is left in `ns`: no TAP, no rules, no lease. */
  async function expectNetworkClean(ns: string): Promise<void> {
    expect(await netns.run(ns, 'ip', ['-o', 'link', 'show'])).not.toContain('tap-tngl-')
    expect(await netns.run(ns, 'nft', ['list', 'tables'])).not.toContain('tangle_router')
    // No lease file: nothing was ever leased.
    const leases = await readFile(join(home, 'state', 'leases.json'), 'utf8').catch(() => '{"leases":[]}')
    expect(JSON.parse(leases).leases).toEqual([])
  }

  /** A torn-down instance left nothing: its network, its control socket and its VMM are gone. */
  async function expectNothingLeft(ns: string, name: string): Promise<void> {
    await expectNetworkClean(ns)
    await expect(readFile(join(instanceDir(name), 'vmm.sock'))).rejects.toMatchObject({ code: 'ENOENT' })
    const record = JSON.parse(await readFile(join(instanceDir(name), 'instance.json'), 'utf8'))
    expect(record.phase).toBe('stopped')
    if (record.process) expect(await isProcessAlive(record.process)).toBe(false)
  }

  return { netns, home, instanceDir, host, launchArgs, listRows, waitForStatus, waitForGuestLog, expectNetworkClean, expectNothingLeft }
}
