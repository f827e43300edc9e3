// A launch, side by side in one run: (a) the per-launch root disk, the reference's convert +
// resize against our overlay; (b) a full launch of the dev guest through the runtime API, as
// the CLI makes it, torn down gracefully, and a second one torn down with force. Every round
// takes each contender in turn; round 0 is shown apart (it creates the data disks), the medians
// are over the 5 rounds after it. Needs root: the launches run in a network namespace of our own.
//
// The process builds the dev guest (apt needs the host's network), makes the namespace, runs
// itself again inside it for the measurements, and then deletes the namespace and the home.
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { appDirs } from '../src/main/runtime/appDirs'
import { buildDevGuest } from '../src/main/runtime/image/devGuest/buildDevGuest'
import type { LaunchStep } from '../src/main/runtime/instance/launchInstance'
import { INSIDE_BENCH_NETWORK as INSIDE, runBenchOutside } from './benchNetns'
import { median, roundsTable, WARM_ROUNDS, type RoundsRow } from './benchRounds'
import { benchLaunchSpec, launchRound, type LaunchTimes } from './launchRound'
import { prepareRootDisks, removeRootDisks, rootDiskReport, rootDiskRound, type RootDiskRound } from './rootDiskRounds'

interface Round {
  disk: RootDiskRound
  graceful: LaunchTimes
  forced: LaunchTimes
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

function launchReport(rounds: Round[]): string {
  const rows = (launch: string, pick: (r: Round) => LaunchTimes): RoundsRow[] => [
    { label: `${launch}: launch → \`launchInstance\` returned (VM up)`, samples: rounds.map((r) => pick(r).returned) },
    { label: `${launch}: launch → first serial byte`, samples: rounds.map((r) => pick(r).firstByte) },
    { label: `${launch}: launch → \`BPVM_EVENT service-started\``, samples: rounds.map((r) => pick(r).serviceStarted) }
  ]
  return roundsTable('step', [
    ...rows('1st', (r) => r.graceful),
    { label: '1st: teardown, graceful (power button → guest off → cleaned)', samples: rounds.map((r) => r.graceful.teardown) },
    ...rows('2nd', (r) => r.forced),
    { label: '2nd: teardown, `force: true` (VMM killed → cleaned)', samples: rounds.map((r) => r.forced.teardown) }
  ], 0)
}

/** Where the launch call's time goes: each step's warm median over both launches of each round. */
function stepsReport(rounds: Round[]): string {
  const warm = rounds.slice(1).flatMap((r) => [r.graceful.steps, r.forced.steps])
  const steps = [...new Set(warm.flatMap((s) => Object.keys(s)))] as LaunchStep[]
  return [
    '| step of `launchInstance` | median of the warm launches | runs (ms) |',
    '| --- | ---: | --- |',
    ...steps.map((step) => {
      const runs = warm.map((s) => s[step] ?? 0)
      return `| ${step} | ${median(runs)} ms | ${runs.join(' ')} |`
    })
  ].join('\n')
}

/** Inside the namespace: every round, then the tables. */
async function measure(): Promise<void> {
  console.log(await prepareRootDisks())
  // The service script lives in the bench's home, beside the state the launches make.
  const graceful = await benchLaunchSpec(appDirs().data, 'bench-graceful')
  const forced = { ...graceful, name: 'bench-force' }
  const rounds: Round[] = []
  try {
    for (let round = 0; round <= WARM_ROUNDS; round += 1) {
      const disk = await rootDiskRound()
      const next = { disk, graceful: await launchRound(graceful, {}), forced: await launchRound(forced, { force: true }) }
      rounds.push(next)
      console.log(`round ${round}: disk ${disk.reference.toFixed(0)} / ${disk.overlay.toFixed(1)} ms, launch ${next.graceful.serviceStarted} / ${next.forced.serviceStarted} ms, teardown ${next.graceful.teardown} / ${next.forced.teardown} ms (load ${load()})`)
    }
  } finally {
    await removeRootDisks()
  }
  console.log(`\n## Root disk per launch\n\n${rootDiskReport(rounds.map((r) => r.disk))}`)
  console.log(`\n## Launch of the dev guest (QEMU, TCG, 1 vCPU, 256 MiB, 256 MiB data disk)\n\n${launchReport(rounds)}`)
  console.log(`\n${stepsReport(rounds)}`)
}

/** Outside: the guest, the namespace and the home, made for the measuring process and always removed after it. */
async function outside(): Promise<void> {
  await runBenchOutside(
    'bpvm-bench-launch-',
    async (home) => {
      const guest = await buildDevGuest({ cacheDir: join(home, 'cache') })
      console.log(`dev guest ${guest.manifest.packages.kernel.name} built in ${guest.elapsedMs} ms; load ${load()}`)
    },
    // Left behind when the measuring process was interrupted.
    removeRootDisks
  )
}

if (process.env[INSIDE]) await measure()
else await outside()
