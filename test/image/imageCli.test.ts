import { existsSync } from 'node:fs'
import { expect, it } from 'vitest'
import { describeWithPrograms } from '../support/prerequisites'
import { envelope, runCli } from '../support/runCli'
import { BUILD_PROGRAMS } from './devGuestFixtures'

describeWithPrograms(BUILD_PROGRAMS, 'bpvm image build-dev', () => {
  it('builds the dev guest (or takes it from the cache) and says where, and whether it came from the cache', async () => {
    // The first run may build; the second finds that build.
    const first = await runCli(['image', 'build-dev', '--json'])
    expect(first.exitCode).toBe(0)
    const built = envelope(first)
    expect(built.ok).toBe(true)
    const value = built.value as { kernel: string; initramfs: string; dir: string; cmdline: string; fromCache: boolean; elapsedMs: number }
    expect(value.dir.startsWith(`${process.env.BPVM_HOME}/cache/images/dev/`)).toBe(true)
    expect(existsSync(value.kernel) && existsSync(value.initramfs)).toBe(true)

    const second = await runCli(['image', 'build-dev'])
    expect(second.exitCode).toBe(0)
    expect(second.stderr).toBe('')
    expect(second.stdout).toMatch(new RegExp(`^Dev guest taken from the cache in \\d+\\.\\d s: ${value.dir}\\n`))
    expect(second.stdout).toContain(`  kernel     ${value.kernel} (linux-image-`)
    expect(second.stdout).toContain(`  cmdline    ${value.cmdline}`)
  }, 180_000)

  it('reports a usage error for an unknown option as one line', async () => {
    const run = await runCli(['image', 'build-dev', '--bogus'])
    expect(run.exitCode).toBe(2)
    expect(run.stderrLines).toEqual(["bpvm: unknown option '--bogus'"])
  })
})
