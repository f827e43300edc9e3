// Boot time of the offline dev guest under QEMU, as a launch sees it: spawn → first serial byte
// → the service's start marker → the VM gone. One cold boot per variant (the data disk is
// formatted), then the median of 5 warm boots, the variants taken in turn. TCG unless
// BPVM_BENCH_ACCEL says otherwise. Side by side: the kernel entered at its PVH entry (the build's
// vmlinux), the same with the kernel's crypto self-tests run, the kernel entered as the
// package's bzImage; and the initramfs that carries the bridge relay.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
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

interface Variant {
  label: string
  kernel: string
  initramfs: string
  relay: boolean
  dir: string
  /** The kernel command line, when not the dev guest's own. */
  cmdline?: string
}

async function main(): Promise<void> {
  execFileSync('ip', ['netns', 'add', netns])
  await createTap(net, TAP)
  const guest = await buildDevGuest()
  writeFileSync(join(work, 'service.sh'), '#!/bin/sh\necho "service: hello"\n', { mode: 0o755 })
  const env = { httpRpcUrl: 'http://10.0.2.2:9944', wsRpcUrl: 'ws://10.0.2.2:9944', blueprintId: 1, serviceId: 1, protocol: 'tangle' }
  const entry = guest.manifest.kernelEntry.entry
  const variants: Variant[] = [
    { label: `plain initramfs, kernel entered ${entry === 'pvh' ? 'at its PVH entry (vmlinux)' : 'as a bzImage'}`, kernel: guest.kernel, initramfs: guest.initramfs, relay: false, dir: join(work, 'plain') },
    {
      label: 'plain initramfs, as the first, with the kernel running its crypto self-tests',
      kernel: guest.kernel, initramfs: guest.initramfs, relay: false, dir: join(work, 'selftests'), cmdline: guest.cmdline.replace(' cryptomgr.notests', '')
    },
    ...(guest.bzImage ? [{ label: 'plain initramfs, kernel entered as the bzImage (decompresses itself)', kernel: guest.bzImage, initramfs: guest.initramfs, relay: false, dir: join(work, 'bzimage') }] : []),
    { label: 'relay initramfs (relay started)', kernel: guest.kernel, initramfs: guest.relayInitramfs, relay: true, dir: join(work, 'relay') }
  ]
  // Each variant its own disks: every cold boot formats its data disk.
  for (const variant of variants) {
    mkdirSync(variant.dir)
    await buildServiceDisk({ binary: join(work, 'service.sh'), env, args: {}, out: join(variant.dir, 'service.img') })
    await ensureDataDisk({ path: join(variant.dir, 'data.qcow2'), sizeBytes: 1024 ** 3 })
    await buildCidataDisk({
      instanceId: 'bench', mac: '52:54:00:00:00:01', address: '10.0.2.14/30', gateway: '10.0.2.13', out: join(variant.dir, 'cidata.img'),
      ...(variant.relay ? { bridgeRelay: { address: TAP.hostAddress, port: 8000 } } : {})
    })
  }
  const spec = (variant: Variant): VmSpec =>
    devGuestVmSpec({
      name: 'bench', id: 1, memoryBytes: 512 * 1024 * 1024, vcpus: 1, guest: { ...guest, kernel: variant.kernel, initramfs: variant.initramfs }, cmdline: variant.cmdline ?? guest.cmdline, disksDir: variant.dir,
      serialLog: join(work, 'serial.log'), nic: { tap: TAP.name, hostAddress: TAP.hostAddress, prefix: TAP.prefix, mac: '52:54:00:00:00:01' }, runDir: work
    })
  console.log(`dev guest (${guest.manifest.packages.kernel.name}), QEMU, accel ${accel}, 1 vCPU, 512 MiB; cold = first boot, formats the data disk`)
  const cold = new Map<Variant, Boot>()
  const warm = new Map<Variant, Boot[]>(variants.map((v) => [v, []]))
  for (const variant of variants) cold.set(variant, await boot(spec(variant), `${basename(variant.dir)}-0`))
  // Warm runs take the variants in turn, so a machine that slows down meanwhile slows each alike.
  for (let run = 1; run <= WARM_RUNS; run++) {
    for (const variant of variants) warm.get(variant)!.push(await boot(spec(variant), `${basename(variant.dir)}-${run}`))
  }
  for (const variant of variants) {
    const runs = warm.get(variant)!
    const line = (name: string, pick: (b: Boot) => number): string =>
      `${name.padEnd(32)} cold ${String(pick(cold.get(variant)!)).padStart(6)} ms   warm median ${String(median(runs.map(pick))).padStart(6)} ms   (runs ${runs.map(pick).join(' ')})`
    console.log(`-- ${variant.label}: kernel ${statSync(variant.kernel).size} bytes, initramfs ${statSync(variant.initramfs).size} bytes`)
    console.log(line('spawn → first serial byte', (b) => b.firstByteMs))
    console.log(line('spawn → service started', (b) => b.serviceStartedMs))
    console.log(line('spawn → VM gone (service ended)', (b) => b.goneMs))
  }
}

try {
  await main()
} finally {
  rmSync(work, { recursive: true, force: true })
  execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' })
}
