import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { ErrorInfo } from '../../src/shared/result'
import type { Lease } from '../../src/main/runtime/net/leaseStore'

const run = promisify(execFile)
const child = fileURLToPath(new URL('./leaseChild.ts', import.meta.url))

export interface LeaseChildOutcome {
  ok: boolean
  leases: Lease[]
  error?: ErrorInfo
}

/** Runs leaseChild.ts in a new Node process and returns what it allocated. */
export async function allocateInChild(stateDir: string, count: number, ownerPrefix: string, startAt: number): Promise<LeaseChildOutcome> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, stateDir, String(count), ownerPrefix, String(startAt)], {
    cwd: fileURLToPath(new URL('../..', import.meta.url))
  })
  const line = stdout.split('\n').find((l) => l.startsWith('{'))
  if (!line) throw new Error(`lease child printed no outcome:\n${stdout}`)
  return JSON.parse(line) as LeaseChildOutcome
}
