// The Debian cloud guest, side by side in one run: bpvm's user-data against the reference's
// (a package update and docker.io at first boot), on the same image, under QEMU/TCG with 1 vCPU.
// Each round launches each contender twice: cold (a fresh instance: new root overlay and data
// disk, cloud-init's first boot) and warm (the same instance launched again), each torn down
// gracefully. Also the image build, cold (an empty cache) and warm (the cached build).
// Needs root and the host's Debian mirror; the guests run in a network namespace with no way
// out, so the reference's package steps fail as they do without a mirror.
import { rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { appDirs } from '../src/main/runtime/appDirs'
import { buildDebianImage } from '../src/main/runtime/image/debian/buildDebianImage'
import { purgeInstance } from '../src/main/runtime/instance/instanceRecord'
import { INSIDE_BENCH_NETWORK as INSIDE, runBenchOutside } from './benchNetns'
import { median, timed } from './benchRounds'
import { benchLaunchSpec, launchRound, type LaunchTimes } from './launchRound'

const ROUNDS = Number(process.env.BPVM_BENCH_ROUNDS ?? 5)
const COLD_BUILDS = Number(process.env.BPVM_BENCH_COLD_BUILDS ?? 3)
const BOOT_TIMEOUT_MS = 600_000
const MiB = 1024 * 1024

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

interface Boot {
  cold: LaunchTimes
  warm: LaunchTimes
}

function row(label: string, samples: number[]): string {
  return `| ${label} | ${seconds(median(samples))} | ${samples.map((v) => (v / 1000).toFixed(1)).join(' ')} |`
}

/** Inside the namespace: every round of both contenders, then the table. */
async function measure(): Promise<void> {
  const contenders = [
    { label: 'bpvm user-data', spec: { ...(await benchLaunchSpec(appDirs().data, 'deb-bpvm')), image: 'debian', memoryBytes: 768 * MiB } },
    { label: 'reference user-data (package update + docker.io)', spec: { ...(await benchLaunchSpec(appDirs().data, 'deb-ref')), image: 'debian', memoryBytes: 768 * MiB, docker: true } }
  ]
  const boots = new Map<string, Boot[]>(contenders.map((c) => [c.label, []]))
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const { label, spec } of contenders) {
      await purgeInstance(spec.name)
      const cold = await launchRound(spec, {}, BOOT_TIMEOUT_MS)
      const warm = await launchRound(spec, {}, BOOT_TIMEOUT_MS)
      boots.get(label)!.push({ cold, warm })
      console.log(`round ${round}, ${label}: service started cold ${seconds(cold.serviceStarted)}, warm ${seconds(warm.serviceStarted)}; teardown ${seconds(cold.teardown)} / ${seconds(warm.teardown)} (load ${load()})`)
    }
  }
  const lines = ['| launch of the Debian guest (QEMU, TCG, 1 vCPU, 768 MiB) | median | runs (s) |', '| --- | ---: | --- |']
  for (const { label } of contenders) {
    const runs = boots.get(label)!
    lines.push(
      row(`${label}: cold launch → service started`, runs.map((b) => b.cold.serviceStarted)),
      row(`${label}: warm launch → service started`, runs.map((b) => b.warm.serviceStarted)),
      row(`${label}: graceful teardown`, runs.flatMap((b) => [b.cold.teardown, b.warm.teardown]))
    )
  }
  const ours = boots.get(contenders[0]!.label)!
  const theirs = boots.get(contenders[1]!.label)!
  const ratio = (pick: (b: Boot) => number): string => (median(theirs.map(pick)) / median(ours.map(pick))).toFixed(2)
  console.log(`\n${lines.join('\n')}\n`)
  console.log(`reference ÷ bpvm, service started: cold ${ratio((b) => b.cold.serviceStarted)}×, warm ${ratio((b) => b.warm.serviceStarted)}×`)
}

/** Outside: the builds (they need the mirror), then the namespace and the measuring process; everything removed after. */
async function outside(): Promise<void> {
  await runBenchOutside('bpvm-bench-debian-', async (home) => {
    const cache = join(home, 'cache')
    const cold: number[] = []
    for (let build = 1; build <= COLD_BUILDS; build += 1) {
      rmSync(cache, { recursive: true, force: true })
      cold.push(await timed(() => buildDebianImage({ cacheDir: cache })))
      console.log(`cold build ${build}: ${seconds(cold.at(-1)!)} (load ${load()})`)
    }
    const warm: number[] = []
    for (let build = 1; build <= 5; build += 1) warm.push(await timed(() => buildDebianImage({ cacheDir: cache })))
    console.log(`\n| Debian image build | median | runs |\n| --- | ---: | --- |`)
    console.log(`| cold (empty cache) | ${seconds(median(cold))} | ${cold.map((v) => (v / 1000).toFixed(1)).join(' ')} s |`)
    console.log(`| warm (cached build) | ${median(warm).toFixed(0)} ms | ${warm.map((v) => v.toFixed(0)).join(' ')} ms |\n`)
  })
}

if (process.env[INSIDE]) await measure()
else await outside()
