import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { describeAsRoot } from '../support/prerequisites'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'
import { recordFixture } from '../support/recordFixture'

/** A record of an instance that ended, as teardown leaves it. */
const stoppedRecord = (name: string, id: number) => recordFixture(name, id, { phase: 'stopped', outcome: { status: 'Finished', reason: 'torn down', at: '2026-01-01T00:00:00.000Z' } })

describeAsRoot('one broken state file never stops the rest (the CLI, as root, in a home of its own)', () => {
  const tempDir = useTempDirs()

  async function homeWith(files: Record<string, string>): Promise<string> {
    const home = await tempDir()
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(home, 'state', path, '..'), { recursive: true })
      await writeFile(join(home, 'state', path), text)
    }
    return home
  }
  const cli = (home: string, ...args: string[]) => runCli([...args, '--json'], { env: { BPVM_HOME: home, PATH: process.env.PATH ?? '' } })

  it('a garbage record and one naming another instance are listed as broken with their files; the good one is listed; ls, reconcile and down --all work', async () => {
    const home = await homeWith({
      'instances/good/instance.json': JSON.stringify(stoppedRecord('good', 1)),
      'instances/garbage/instance.json': 'not json at all',
      'instances/imposter/instance.json': JSON.stringify(stoppedRecord('good', 2))
    })
    const listed = envelope(await cli(home, 'ls'))
    expect(listed.ok).toBe(true)
    const rows = listed.value as Array<{ name: string; status: string; broken?: { file: string; problem: string } }>
    expect(rows.map((r) => r.name)).toEqual(['garbage', 'good', 'imposter'])
    expect(rows[1]).toMatchObject({ name: 'good', status: 'Finished' })
    expect(rows[0]?.broken?.file).toBe(join(home, 'state', 'instances', 'garbage', 'instance.json'))
    expect(rows[0]?.broken?.problem).toContain('is not a valid instance record')
    expect(rows[2]?.broken?.problem).toContain('names the instance "good", not imposter')
    expect(envelope(await cli(home, 'reconcile'))).toMatchObject({ ok: true })
    // The Host view (bpvm doctor) names them too.
    const doctor = envelope(await cli(home, 'doctor')).value as { host: Array<{ id: string; ok: boolean; detail: string }> }
    expect(doctor.host.find((c) => c.id === 'state')).toMatchObject({ ok: false, detail: expect.stringContaining(join(home, 'state', 'instances', 'garbage', 'instance.json')) })
    expect(envelope(await cli(home, 'down', '--all'))).toMatchObject({ ok: true, value: [{ name: 'good', stopped: 'already' }] })
    // Naming the broken one gets its problem, its file named.
    const named = envelope(await cli(home, 'down', 'garbage'))
    expect(named).toMatchObject({ ok: false, error: { code: 'STATE_CORRUPT' } })
    expect(named.error?.message).toContain(join(home, 'state', 'instances', 'garbage', 'instance.json'))
  }, 60_000)

  it('a garbage network.json does not break ls; a FIFO as leases.json is refused naming it, at once, and ls still lists', async () => {
    const home = await homeWith({ 'instances/good/instance.json': JSON.stringify(stoppedRecord('good', 1)), 'network.json': '{ garbage' })
    expect(envelope(await cli(home, 'ls'))).toMatchObject({ ok: true, value: [{ name: 'good' }] })

    execFileSync('mkfifo', [join(home, 'state', 'leases.json')])
    const started = Date.now()
    const run = await cli(home, 'ls')
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(envelope(run)).toMatchObject({ ok: true, value: [{ name: 'good' }] })
    // Listing reads no lease; what does read the lease file names it, at once.
    const reconciled = envelope(await cli(home, 'reconcile'))
    expect(reconciled).toMatchObject({ ok: false, error: { code: 'STATE_NOT_A_FILE' } })
    expect(reconciled.error?.message).toContain(`${join(home, 'state', 'leases.json')} is not a regular file`)
    expect(Date.now() - started).toBeLessThan(60_000)
  }, 60_000)
})
