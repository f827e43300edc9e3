import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Points BPVM_HOME at a fresh directory for the whole run, so no test ever reads or writes the
 * user's own bpvm state; removed when the run ends.
 */
export default function setup(): () => void {
  const home = mkdtempSync(join(tmpdir(), 'bpvm-vitest-'))
  process.env.BPVM_HOME = home
  return () => rmSync(home, { recursive: true, force: true })
}
