// The manager bridge, side by side in one run (dev guest, QEMU, TCG, in a network namespace of
// our own; needs root and vhost-device-vsock): (a) a host client's connect + Ping round trip on
// the bridge's socket, a new gRPC channel each time; (b) bytes the guest's service sends, read
// through the port the bridge forwards (127.0.0.1:<port>) against read straight from the
// guest's address, alternating, and the ratio of the two medians. Round 0 apart, medians over
// the 5 rounds after it. The forwarder's own ceiling is measured apart, without a guest.
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { appDirs } from '../src/main/runtime/appDirs'
import { bridgeFiles, writeBridgeConfig } from '../src/main/runtime/bridge/bridgeFiles'
import { startBridge, stopBridge } from '../src/main/runtime/bridge/bridgeProcess'
import { buildDevGuest } from '../src/main/runtime/image/devGuest/buildDevGuest'
import { instancePaths } from '../src/main/runtime/instance/instanceRecord'
import { launchInstance } from '../src/main/runtime/instance/launchInstance'
import { teardownInstance } from '../src/main/runtime/instance/teardownInstance'
import { MARKER_PREFIX, SERVICE_STARTED } from '../src/main/runtime/vmm/guestMarkers'
import { waitForSerial } from '../src/main/runtime/vmm/qemu/bootWatchdog'
import { BridgeTestClient } from '../test/support/bridgeClient'
import { INSIDE_BENCH_NETWORK as INSIDE, runBenchOutside } from './benchNetns'
import { median, roundsTable, timed, WARM_ROUNDS } from './benchRounds'

const MiB = 1024 * 1024
const PORT = 18080
const PAYLOAD = 16 * MiB

// busybox nc serves one connection at a time: each one gets PAYLOAD bytes of zeros.
const SERVICE = `#!/bin/sh
echo "bench: service up"
(while :; do dd if=/dev/zero bs=65536 count=${PAYLOAD / 65536} 2>/dev/null | nc -l -p ${PORT}; done) &
trap 'kill $! 2>/dev/null; exit 0' INT
while :; do sleep 60 & wait $!; done
`

/** A new channel, connected, one Ping answered: what a service's start costs it. */
async function connectAndPing(socket: string): Promise<number> {
  const client = BridgeTestClient.unix(socket)
  try {
    return await timed(() => client.call('Ping'))
  } finally {
    client.close()
  }
}

/** Reads PAYLOAD bytes from host:port; MiB/s. */
const readPayload = (host: string, port: number): Promise<number> => readBytes(host, port, PAYLOAD)

/** Reads `total` bytes from host:port; MiB/s. */
function readBytes(host: string, port: number, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let bytes = 0
    const socket = connect({ host, port })
    socket.on('data', (chunk) => {
      bytes += chunk.length
      if (bytes >= total) {
        socket.destroy()
        resolve(total / MiB / ((performance.now() - started) / 1000))
      }
    })
    socket.on('error', reject)
    socket.on('close', () => (bytes < total ? reject(new Error(`${host}:${port} closed after ${bytes} bytes`)) : undefined))
  })
}

async function retry<T>(work: () => Promise<T>, tries = 50): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= tries) throw error
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

async function measure(): Promise<void> {
  const dir = join(appDirs().data, 'bench-service')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'service.sh'), SERVICE, { mode: 0o755 })
  const name = 'bench-bridge'
  const record = await launchInstance({
    name, binary: join(dir, 'service.sh'),
    env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: '1', serviceId: '2', protocol: 'tangle' },
    args: { testMode: true }, accel: 'tcg', memoryBytes: 256 * MiB, storageBytes: 256 * MiB, vmm: 'qemu', image: 'dev', bridge: 'vsock', rpcCheck: false
  })
  try {
    await waitForSerial(instancePaths(name).serialLog, (line) => line.includes(`${MARKER_PREFIX} ${SERVICE_STARTED}`), 120_000)
    const socket = bridgeFiles(instancePaths(name).state).socket
    const client = BridgeTestClient.unix(socket)
    const { port } = await client.call<{ port: number }>('RequestPort', { preferred_port: PORT })
    client.close()
    const guest = record.net.guestAddress
    // The guest's nc is listening once a straight read goes through.
    await retry(() => readPayload(guest, port))
    const pings: number[] = []
    const forwarded: number[] = []
    const direct: number[] = []
    for (let round = 0; round <= WARM_ROUNDS; round += 1) {
      pings.push(await connectAndPing(socket))
      // Alternating which goes first, so neither always meets a warmer guest.
      const order = round % 2 === 0 ? ['forwarded', 'direct'] : ['direct', 'forwarded']
      for (const which of order) {
        if (which === 'forwarded') forwarded.push(await retry(() => readPayload('127.0.0.1', port), 5))
        else direct.push(await retry(() => readPayload(guest, port), 5))
      }
      console.log(`round ${round}: ping ${pings.at(-1)!.toFixed(2)} ms, forwarded ${forwarded.at(-1)!.toFixed(0)} MiB/s, direct ${direct.at(-1)!.toFixed(0)} MiB/s (load ${loadavg()[0]!.toFixed(2)})`)
    }
    const warm = (values: number[]): number => median(values.slice(1))
    const mibps = (values: number[]): string => `${warm(values).toFixed(1)} MiB/s (runs ${values.slice(1).map((v) => v.toFixed(1)).join(' ')}; round 0 ${values[0]!.toFixed(1)})`
    console.log(`\n## Bridge: connect + Ping (host client on the bridge socket, a new channel each time)\n\n${roundsTable('measure', [{ label: 'connect + Ping round trip', samples: pings }], 2)}`)
    console.log(`\n## Bridge: bytes from the guest's service (${PAYLOAD / MiB} MiB a read, dev guest under TCG)\n`)
    console.log(`| path | median | \n| --- | --- |\n| through the forwarded port, 127.0.0.1:${port} | ${mibps(forwarded)} |\n| straight to the guest, ${guest}:${port} | ${mibps(direct)} |`)
    console.log(`\nforwarded / direct: ${(warm(forwarded) / warm(direct)).toFixed(2)} (target ≥ 0.8)`)
  } finally {
    await teardownInstance(name, { force: true, purge: true })
  }
  // With the guest gone, so no emulated CPU competes with the three processes measured.
  await forwarderCeiling()
}

/**
 * Under TCG the guest's network sets the pace, so the forwarder's own cost is measured apart: a
 * bridge process like an instance's, whose "guest" is a fast source in a process of its own on
 * another loopback address (127.0.0.2), read through the port the bridge forwards against read
 * straight. Reader, forwarder and source each have a process, as with a real guest.
 */
async function forwarderCeiling(): Promise<void> {
  const bytes = 256 * MiB
  const port = 18181
  const dir = mkdtempSync(join(tmpdir(), 'bpvm-bench-forwarder-'))
  const files = bridgeFiles(dir)
  const pump = `const net = require('node:net'); const chunk = Buffer.alloc(1 << 20)
net.createServer((s) => { let sent = 0; s.on('error', () => {}); const go = () => { while (sent < ${bytes}) { sent += chunk.length; if (!s.write(chunk)) return s.once('drain', go) } s.end() }; go() })
  .listen({ host: '127.0.0.2', port: ${port} }, () => console.log('ready'))`
  const source = nodeScript(pump)
  await new Promise<void>((resolve) => source.stdout?.once('data', () => resolve()))
  await writeBridgeConfig(files.config, {
    version: 1, instance: 'bench', serviceId: '2', guestAddress: '127.0.0.2', hostAddress: '127.0.0.1', transport: 'vsock',
    sockets: [files.socket], maxPorts: 4, serialLog: join(dir, 'guest.log'), testMode: true, pingWarningSeconds: 60
  })
  const bridge = await startBridge(dir, join(dir, 'bridge.log'))
  const forwarded: number[] = []
  const direct: number[] = []
  try {
    const client = BridgeTestClient.unix(files.socket)
    const given = await client.call<{ port: number }>('RequestPort', { preferred_port: port })
    client.close()
    for (let round = 0; round <= WARM_ROUNDS; round += 1) {
      for (const which of round % 2 === 0 ? ['forwarded', 'direct'] : ['direct', 'forwarded']) {
        if (which === 'forwarded') forwarded.push(await readBytes('127.0.0.1', given.port, bytes))
        else direct.push(await readBytes('127.0.0.2', port, bytes))
      }
    }
  } finally {
    await stopBridge(bridge.identity)
    source.kill()
    rmSync(dir, { recursive: true, force: true })
  }
  const warm = (values: number[]): number => median(values.slice(1))
  const runs = (values: number[]): string => values.slice(1).map((v) => v.toFixed(0)).join(' ')
  console.log(`\n## The forwarder's own ceiling (${bytes / MiB} MiB a read from a host-local source, no guest)\n`)
  console.log(`| path | median | runs (MiB/s) |\n| --- | ---: | --- |\n| through a bridge's forwarded port, 127.0.0.1:${port} → 127.0.0.2:${port} | ${warm(forwarded).toFixed(0)} MiB/s | ${runs(forwarded)} |\n| straight, 127.0.0.2:${port} | ${warm(direct).toFixed(0)} MiB/s | ${runs(direct)} |`)
  console.log(`\nforwarded / direct: ${(warm(forwarded) / warm(direct)).toFixed(2)}`)
}

/** A Node script in a process of its own, its stdout piped back. */
const nodeScript = (script: string) => spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })

async function outside(): Promise<void> {
  await runBenchOutside('bpvm-bench-bridge-', async (home) => {
    await buildDevGuest({ cacheDir: join(home, 'cache') })
  })
}

if (process.env[INSIDE]) await measure()
else await outside()
