// Edit → relaunch, side by side in one run: a rewritten binary → the new service's first line
// in the guest log, (a) with `bpvm launch --watch` relaunching on its own, and (b) the manual
// path, `bpvm down` then `bpvm launch` through the CLI. Dev guest, QEMU with TCG, in a network
// namespace of our own (needs root). Every round takes each path in turn; round 0 is shown apart
// (it makes the data disks), the medians are over the 5 rounds after it. One VM runs at a time:
// under TCG on a small host, a second idle guest would slow the one being timed.
//
// The process builds the dev guest (apt needs the host's network) and the CLI, makes the
// namespace, runs itself again inside it for the measurements, then deletes the namespace and home.
import { readFile, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { appDirs } from '../src/main/runtime/appDirs'
import { buildDevGuest } from '../src/main/runtime/image/devGuest/buildDevGuest'
import { instancePaths } from '../src/main/runtime/instance/instanceRecord'
import { INSIDE_BENCH_NETWORK as INSIDE, runBenchOutside } from './benchNetns'
import { median, roundsTable, WARM_ROUNDS, warmMedian, type RoundsRow } from './benchRounds'

const CLI = join(process.cwd(), 'out', 'main', 'cli.js')
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

/** The service: its first line says which build it is; it exits at once on the power button. */
const service = (build: string): string => `#!/bin/sh
echo "bench: build ${build} up"
trap 'exit 0' INT
while :; do sleep 60 & wait $!; done
`

const launchArgs = (name: string, binary: string, keystore: string): string[] => [
  'launch', '--name', name, '--binary', binary, '--keystore', keystore,
  '--http-rpc-url', 'http://127.0.0.1:9944', '--ws-rpc-url', 'ws://127.0.0.1:9944', '--blueprint-id', '1', '--service-id', '2',
  '--vmm', 'qemu', '--image', 'dev', '--accel', 'tcg', '--memory', '256M', '--storage', '256M', '--no-rpc-check', '--detach'
]

const bpvm = (args: string[]) => execa(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })

/** Milliseconds from `start` until the instance's guest log holds `line`. */
async function untilGuestPrints(name: string, line: string, start: number, timeoutMs = 120_000): Promise<number> {
  const log = instancePaths(name).serialLog
  for (;;) {
    if ((await readFile(log, 'utf8').catch(() => '')).includes(line)) return performance.now() - start
    if (performance.now() - start > timeoutMs) throw new Error(`${name} did not print "${line}" within ${timeoutMs / 1000} s`)
    await sleep(20)
  }
}

interface Files {
  binary: string
  keystore: string
}

async function files(dir: string, name: string): Promise<Files> {
  const binary = join(dir, `${name}.sh`)
  const keystore = join(dir, `${name}-keystore`)
  await execa('mkdir', ['-p', join(keystore, 'sr25519')])
  await writeFile(join(keystore, 'sr25519', 'key'), 'bench')
  await writeFile(binary, service('0'), { mode: 0o755 })
  return { binary, keystore }
}

/** One round of the watch path: `bpvm launch --watch` brings it up (not timed), then a rewrite is timed; the VM is stopped after. */
async function watchRound(files: Files, build: string): Promise<number> {
  await writeFile(files.binary, service(`${build}-before`))
  const watcher = execa(process.execPath, [CLI, ...launchArgs('watched', files.binary, files.keystore), '--watch'], { stdio: ['ignore', 'pipe', 'pipe'], all: true })
  // What the watcher said, shown when a round fails.
  let said = ''
  watcher.all?.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-4000)))
  try {
    await untilGuestPrints('watched', `bench: build ${build}-before up`, performance.now())
    const start = performance.now()
    await writeFile(files.binary, service(build))
    return await untilGuestPrints('watched', `bench: build ${build} up`, start)
  } catch (error) {
    throw new Error(`${(error as Error).message}; the watcher said:\n${said}`, { cause: error })
  } finally {
    watcher.kill('SIGINT')
    await watcher.catch(() => undefined)
    await bpvm(['down', 'watched'])
  }
}

/** One round of the manual path: the instance up (not timed), then rewrite, `bpvm down`, `bpvm launch` timed; stopped after. */
async function manualRound(files: Files, build: string): Promise<number> {
  await writeFile(files.binary, service(`${build}-before`))
  await bpvm(launchArgs('manual', files.binary, files.keystore))
  await untilGuestPrints('manual', `bench: build ${build}-before up`, performance.now())
  const start = performance.now()
  await writeFile(files.binary, service(build))
  await bpvm(['down', 'manual'])
  await bpvm(launchArgs('manual', files.binary, files.keystore))
  const elapsed = await untilGuestPrints('manual', `bench: build ${build} up`, start)
  await bpvm(['down', 'manual'])
  return elapsed
}

/** Inside the namespace: every round (one VM at a time, each path in turn), then the tables. */
async function measure(): Promise<void> {
  const dir = appDirs().data
  const watched = await files(dir, 'watched')
  const manual = await files(dir, 'manual')
  const rows: RoundsRow[] = [{ label: '`bpvm launch --watch`: rewrite → new first line', samples: [] }, { label: 'manual: rewrite, `bpvm down`, `bpvm launch` → new first line', samples: [] }]
  try {
    for (let round = 0; round <= WARM_ROUNDS; round += 1) {
      rows[0]!.samples.push(await watchRound(watched, String(round)))
      rows[1]!.samples.push(await manualRound(manual, String(round)))
      console.log(`round ${round}: watch ${rows[0]!.samples[round]!.toFixed(0)} ms, manual ${rows[1]!.samples[round]!.toFixed(0)} ms (load ${load()})`)
    }
  } finally {
    await bpvm(['down', '--all', '--force']).catch(() => undefined)
  }
  const [watch, byHand] = rows.map(warmMedian) as [number, number]
  const ratios = rows[0]!.samples.slice(1).map((w, i) => rows[1]!.samples[i + 1]! / w)
  console.log(`\n## Edit → relaunch (dev guest, QEMU, TCG, 1 vCPU, 256 MiB)\n\n${roundsTable('path', rows, 0)}`)
  console.log(`\n| ratio | value | target |\n| --- | ---: | --- |\n| manual / watch (medians) | **${(byHand / watch).toFixed(2)}** | ≥ 1.30 |\n| watch median | **${(watch / 1000).toFixed(2)} s** | ≤ 3.5 s |`)
  console.log(`\nper-round ratios: ${ratios.map((r) => r.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)})`)
}

async function outside(): Promise<void> {
  await runBenchOutside('bpvm-bench-relaunch-', async (home) => {
    const guest = await buildDevGuest({ cacheDir: join(home, 'cache') })
    console.log(`dev guest ${guest.manifest.packages.kernel.name} ready in ${guest.elapsedMs} ms; load ${load()}`)
  })
}

if (process.env[INSIDE]) await measure()
else await outside()
