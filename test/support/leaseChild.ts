// Allocates leases from a process of its own, so a test can race two processes on one state
// directory. Usage: leaseChild.ts <stateDir> <count> <owner prefix> <start at, epoch ms> [pool]
import { setTimeout as sleep } from 'node:timers/promises'
import { toErrorInfo } from '../../src/shared/errors'
import { LeaseStore, type Lease } from '../../src/main/runtime/net/leaseStore'

const [stateDir, count, prefix, startAt, pool] = process.argv.slice(2)
// The host's own networks are fixed here: the race is about the lease file, not about `ip`.
const store = new LeaseStore({ stateDir: stateDir!, pool: pool ?? '172.30.0.0/16', occupied: async () => ['172.30.0.9/32'] })
const leases: Lease[] = []
try {
  // Both children start together, whatever their start-up time.
  await sleep(Math.max(0, Number(startAt) - Date.now()))
  for (let i = 0; i < Number(count); i++) leases.push(await store.allocate(`${prefix}-${i}`))
  console.log(JSON.stringify({ ok: true, leases }))
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: toErrorInfo(error), leases }))
}
