// Boot time of the offline dev guest under QEMU, as a launch sees it: spawn → first serial byte
// → the service's start marker → the VM gone. One cold boot (the data disk is formatted), then
// the median of 5 warm boots. TCG unless BPVM_BENCH_ACCEL says otherwise. Then the same with the
// initramfs that carries the bridge relay, its relay started by the init, side by side.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildCidataDisk } from '../src/main/runtime/disk/cidata'
import { ensureDataDisk } from '../src/main/runtime/disk/dataDisk'
import { buildServiceDisk } from '../src/main/runtime/disk/serviceDisk'
import { buildDevGuest } from '../src/main/runtime/image/devGuest/buildDevGuest'
import { createTap } from '../src/main/runtime/net/ipCommand'
import { MARKER_PREFIX, SERVICE_STARTED } from '../src/main/runtime/vmm/guestMarkers'
import { waitForSerial } from '../src/main/runtime/vmm/qemu/bootWatchdog'
import { qemuDriver } from '../src/main/runtime/vmm/qemu/qemuDriver'
import type { AccelSetting } from '../src/main/runtime/vmm/qemu/qemuHost'
import type { VmSpec } from '../src/main/runtime/vmm/vmSpec'
import { devGuestVmSpec } from '../src/main/runtime/instance/devGuestSpec'

const WARM_RUNS = 5
const accel = (process.env.BPVM_BENCH_ACCEL ?? 'tcg') as AccelSetting
const work = mkdtempSync(join(tmpdir(), 'bpvm-boot-'))
// The guest's NIC needs its TAP; both live in a namespace of the benchmark's own (needs root).
const netns = `bpvm-bench-${randomBytes(3).toString('hex')}`
const net = { netns }
const TAP = { name: 'tap-tngl-1', hostAddress: '10.0.2.13', prefix: 30 }

interface Boot {
  firstByteMs: number
  serviceStartedMs: number
  goneMs: number
}

async function boot(spec: VmSpec, run: string): Promise<Boot> {
  const serial = join(work, `serial-${run}.log`)
  const driver = qemuDriver({ accel, net, program: 'ip', argsPrefix: ['netns', 'exec', netns, 'qemu-system-x86_64'] })
  const vm = await driver.launch(
    { ...spec, serial: { mode: 'file', path: serial } },
    { socketPath: join(work, 'qmp.sock'), stdoutPath: join(work, 'qemu.out'), stderrPath: join(work, 'qemu.err') }
  )
  const launchedAt = vm.report.launchedAt
  try {
    const first = await vm.firstSerialByte()
    await waitForSerial(serial, (line) => line.includes(`${MARKER_PREFIX} ${SERVICE_STARTED}`), 120_000).catch((error: unknown) => {
      console.error(readFileSync(serial, 'utf8'))
      throw error
    })
    const serviceStartedMs = Date.now() - launchedAt
    await vm.process.waitForExit()
    return { firstByteMs: first.afterMs, serviceStartedMs, goneMs: Date.now() - launchedAt }
  } finally {
    await vm.kill()
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function main(): Promise<void> {
  execFileSync('ip', ['netns', 'add', netns])
  await createTap(net, TAP)
  const guest = await buildDevGuest()
  writeFileSync(join(work, 'service.sh'), '#!/bin/sh\necho "service: hello"\n', { mode: 0o755 })
  const env = { httpRpcUrl: 'http://10.0.2.2:9944', wsRpcUrl: 'ws://10.0.2.2:9944', blueprintId: 1, serviceId: 1, protocol: 'tangle' }
  await buildServiceDisk({ binary: join(work, 'service.sh'), env, args: {}, out: join(work, 'service.img') })
  await ensureDataDisk({ path: join(work, 'data.qcow2'), sizeBytes: 1024 ** 3 })
  const spec = (initramfs: string): VmSpec =>
    devGuestVmSpec({
      name: 'bench', id: 1, memoryBytes: 512 * 1024 * 1024, vcpus: 1, guest: { ...guest, initramfs }, cmdline: guest.cmdline, disksDir: work,
      serialLog: join(work, 'serial.log'), nic: { tap: TAP.name, hostAddress: TAP.hostAddress, prefix: TAP.prefix, mac: '52:54:00:00:00:01' }, runDir: work
    })
  const cidata = { instanceId: 'bench', mac: '52:54:00:00:00:01', address: '10.0.2.14/30', gateway: '10.0.2.13', out: join(work, 'cidata.img') }
  console.log(`dev guest (${guest.manifest.packages.kernel.name}), QEMU, accel ${accel}, 1 vCPU, 512 MiB; cold = first boot, formats the data disk`)
  for (const variant of ['plain initramfs', 'relay initramfs (relay started)'] as const) {
    const relay = variant !== 'plain initramfs'
    await buildCidataDisk({ ...cidata, replace: true, ...(relay ? { bridgeRelay: { address: TAP.hostAddress, port: 8000 } } : {}) })
    const initramfs = relay ? guest.relayInitramfs : guest.initramfs
    const cold = await boot(spec(initramfs), `${relay ? 'relay' : 'plain'}-0`)
    const warm: Boot[] = []
    for (let run = 1; run <= WARM_RUNS; run++) warm.push(await boot(spec(initramfs), `${relay ? 'relay' : 'plain'}-${run}`))
    const line = (name: string, pick: (b: Boot) => number): string =>
      `${name.padEnd(32)} cold ${String(pick(cold)).padStart(6)} ms   warm median ${String(median(warm.map(pick))).padStart(6)} ms   (runs ${warm.map(pick).join(' ')})`
    console.log(`-- ${variant}, ${statSync(initramfs).size} bytes`)
    console.log(line('spawn → first serial byte', (b) => b.firstByteMs))
    console.log(line('spawn → service started', (b) => b.serviceStartedMs))
    console.log(line('spawn → VM gone (service ended)', (b) => b.goneMs))
    // The next variant's cold boot formats the data disk again.
    rmSync(join(work, 'data.qcow2'))
    await ensureDataDisk({ path: join(work, 'data.qcow2'), sizeBytes: 1024 ** 3 })
  }
}

try {
  await main()
} finally {
  rmSync(work, { recursive: true, force: true })
  execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' })
}
