// Service-disk build: bpvm's FAT32 writer side by side with mkfs.fat + mcopy and with cp of
// the same bytes, in one run. Median of 5 rounds; contenders take turns within each round,
// every run writes a fresh file after `sync`, so no run pays for another's dirty pages.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

type Runtime = typeof import('../src/main/runtime/index')
const runtime = (await import(pathToFileURL(join(process.cwd(), 'out/main/runtime.js')).href)) as Runtime

const ROUNDS = 5
const BINARY_BYTES = 200 * 1024 * 1024
const work = mkdtempSync(join(tmpdir(), 'bpvm-bench-'))
const binary = join(work, 'service.bin')
const keystore = join(work, 'keystore')
const launch = join(work, 'launch')
const out = join(work, 'out')

function makePayload(): void {
  writeFileSync(binary, randomBytes(BINARY_BYTES))
  // 50 files, nested like a keystore: <kind>/<scheme>/<key>.
  for (let i = 0; i < 50; i++) {
    const dir = join(keystore, `kind-${i % 5}`, `scheme-${i % 2}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `${randomBytes(16).toString('hex')}.json`), randomBytes(200 + ((i * 97) % 3000)))
  }
  writeFileSync(launch, '#!/bin/sh\nset -e\nexec /srv/service run\n')
}

const env = { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 1, protocol: 'tangle' }
const envFlags = ['--http-rpc-url', env.httpRpcUrl, '--ws-rpc-url', env.wsRpcUrl, '--blueprint-id', '1', '--service-id', '1']

const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1' }
const sh = (program: string, args: string[]): void => {
  execFileSync(program, args, { stdio: ['ignore', 'ignore', 'inherit'], env: mtoolsEnv })
}

let imageKiB = 0
const contenders: Record<string, () => Promise<void> | void> = {
  'bpvm (API, in-process)': async () => {
    const report = await runtime.buildServiceDisk({ binary, keystore, env, args: {}, out: join(out, 'service.img'), replace: true })
    imageKiB = report.imageBytes / 1024
  },
  'bpvm (CLI process)': () => sh(process.execPath, ['out/main/cli.js', 'disk', 'service', '--binary', binary, '--keystore', keystore, ...envFlags, '--out', join(out, 'cli.img'), '--force']),
  'mkfs.fat + mcopy -s': () => {
    const image = join(out, 'mtools.img')
    sh('mkfs.fat', ['-F', '32', '-C', '-n', 'SERVICEDISK', image, String(imageKiB)])
    sh('mcopy', ['-i', image, binary, '::/service'])
    sh('mcopy', ['-i', image, launch, '::/launch'])
    sh('mcopy', ['-s', '-i', image, keystore, '::/keystore'])
  },
  'cp (same bytes)': () => {
    sh('cp', [binary, join(out, 'service')])
    sh('cp', [launch, join(out, 'launch')])
    sh('cp', ['-r', keystore, join(out, 'keystore')])
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function main(): Promise<void> {
  makePayload()
  const names = Object.keys(contenders)
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
  mkdirSync(out)
  await contenders[names[0]!]!() // sizes the mtools image like ours; not counted
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!
      rmSync(out, { recursive: true, force: true })
      mkdirSync(out)
      execFileSync('sync')
      const start = performance.now()
      await contenders[name]!()
      times[name]!.push(performance.now() - start)
    }
  }
  const ours = median(times[names[0]!]!)
  const oursCli = median(times[names[1]!]!)
  const mtools = median(times[names[2]!]!)
  const cp = median(times[names[3]!]!)
  console.log(`payload: ${BINARY_BYTES / 1024 / 1024} MiB binary + 50-file nested keystore; image ${(imageKiB / 1024).toFixed(0)} MiB apparent, ${ROUNDS} rounds`)
  for (const name of names) {
    const sorted = [...times[name]!].sort((a, b) => a - b).map((t) => t.toFixed(0))
    console.log(`${name.padEnd(24)} median ${median(times[name]!).toFixed(1).padStart(7)} ms   runs ${sorted.join(' ')}`)
  }
  console.log(`ratio bpvm API / mkfs.fat+mcopy: ${(ours / mtools).toFixed(2)}   (target <= 1.00)`)
  console.log(`ratio bpvm API / cp:             ${(ours / cp).toFixed(2)}   (target <= 1.50)`)
  console.log(`ratio bpvm CLI / mkfs.fat+mcopy: ${(oursCli / mtools).toFixed(2)}`)
  console.log(`ratio bpvm CLI / cp:             ${(oursCli / cp).toFixed(2)}`)
}

try {
  await main()
} finally {
  rmSync(work, { recursive: true, force: true })
}
