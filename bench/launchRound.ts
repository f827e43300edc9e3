// One launch of the dev guest through the runtime API, as the CLI makes it, then its teardown:
// how long the launch call takes, when the guest first prints, when the service has started,
// and how long the teardown takes.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { instancePaths } from '../src/main/runtime/instance/instanceRecord'
import { launchInstance, type LaunchStep } from '../src/main/runtime/instance/launchInstance'
import type { LaunchSpec } from '../src/main/runtime/instance/launchSpec'
import { teardownInstance, type TeardownOptions } from '../src/main/runtime/instance/teardownInstance'
import { MARKER_PREFIX, SERVICE_STARTED } from '../src/main/runtime/vmm/guestMarkers'
import { firstSerialByteAt, waitForSerial } from '../src/main/runtime/vmm/qemu/bootWatchdog'

const MiB = 1024 * 1024
const BOOT_TIMEOUT_MS = 120_000

// `wait` returns as soon as the trap fires; a foreground sleep would hold the trap until it ends.
// The trap ends the sleep too: a background job ignores SIGINT, and a unit waits for it.
const SERVICE = `#!/bin/sh
echo "bench: service up"
trap 'echo "bench: SIGINT"; kill $! 2>/dev/null; exit 0' INT
while :; do sleep 60 & wait $!; done
`

/** Writes the service into `dir` and returns the launch of `name` as the CLI builds it from its options. */
export async function benchLaunchSpec(dir: string, name: string): Promise<LaunchSpec> {
  const binary = join(dir, 'service.sh')
  await mkdir(dir, { recursive: true })
  await writeFile(binary, SERVICE, { mode: 0o755 })
  return {
    name, binary,
    env: {
      httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: '1', serviceId: '2', protocol: 'tangle',
      bootnodes: [], registration: false, extraEnv: []
    },
    args: { testMode: false, pretty: false, dryRun: false, extraArgs: [] },
    accel: 'tcg', memoryBytes: 256 * MiB, storageBytes: 256 * MiB, vmm: 'qemu', image: 'dev',
    // No node runs in the benchmark's namespace.
    rpcCheck: false
  }
}

export interface LaunchTimes {
  /** Launch start → `launchInstance` returned (the VM is up, its network in place). */
  returned: number
  /** Launch start → the first byte in the serial log. */
  firstByte: number
  /** Launch start → `BPVM_EVENT service-started` in the serial log. */
  serviceStarted: number
  /** `teardownInstance` start → returned (the VMM gone, the network given back). */
  teardown: number
  /** How long each step of the launch call took, from its progress report to the next one's (or the return). */
  steps: Partial<Record<LaunchStep, number>>
}

/** Launches, waits for the service to start, tears down; fails if the teardown did not end the way `teardown` asks. */
export async function launchRound(spec: LaunchSpec, teardown: TeardownOptions, bootTimeoutMs = BOOT_TIMEOUT_MS): Promise<LaunchTimes> {
  const { serialLog } = instancePaths(spec.name)
  // Moved aside as the launch itself would (so a relaunch still reads the last boot's log),
  // before the watches start: the first byte and marker they see are this boot's.
  await rename(serialLog, `${serialLog}.1`).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  const watch = new AbortController()
  const started = Date.now()
  const firstByte = firstSerialByteAt(serialLog, bootTimeoutMs, { signal: watch.signal })
  const serviceStarted = waitForSerial(serialLog, (line) => line.includes(`${MARKER_PREFIX} ${SERVICE_STARTED}`), bootTimeoutMs, { signal: watch.signal }).then(() => Date.now())
  // A failed launch stops the watches; their rejections are not this round's error.
  firstByte.catch(() => undefined)
  serviceStarted.catch(() => undefined)
  const marks: Array<{ step: LaunchStep; at: number }> = []
  let launched = false
  try {
    await launchInstance(spec, { onProgress: ({ step }) => void marks.push({ step, at: Date.now() }) })
    launched = true
    const returnedAt = Date.now()
    const returned = returnedAt - started
    const steps = Object.fromEntries(marks.map((mark, i) => [mark.step, (marks[i + 1]?.at ?? returnedAt) - mark.at]))
    const [firstAt, serviceAt] = await Promise.all([firstByte, serviceStarted])
    if (firstAt === undefined) throw new Error(`${spec.name}: the guest printed nothing within ${bootTimeoutMs / 1000} s`)
    const teardownStarted = Date.now()
    const report = await teardownInstance(spec.name, teardown)
    launched = false
    const teardownMs = Date.now() - teardownStarted
    const expected = teardown.force ? 'killed' : 'graceful'
    if (report.stopped !== expected) throw new Error(`${spec.name}: teardown stopped the VM ${report.stopped}, expected ${expected} (${report.reason})`)
    if (!teardown.force && !(await readFile(serialLog, 'utf8')).includes('bench: SIGINT')) throw new Error(`${spec.name}: the service never got SIGINT`)
    return { returned, firstByte: firstAt - started, serviceStarted: serviceAt - started, teardown: teardownMs, steps }
  } finally {
    watch.abort()
    if (launched) await teardownInstance(spec.name, { force: true }).catch((error: unknown) => console.error(`${spec.name}: forced teardown after a failure failed too:`, error))
  }
}
