import { existsSync } from 'node:fs'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

describe('bin/bpvm.js', () => {
  const tempDir = useTempDirs()

  async function installCopy(): Promise<string> {
    const root = await tempDir()
    await mkdir(join(root, 'bin'))
    await writeFile(join(root, 'package.json'), '{"type":"module"}')
    await copyFile(join(repoRoot, 'bin', 'bpvm.js'), join(root, 'bin', 'bpvm.js'))
    return root
  }

  it('says in one line to run npm run build when the CLI is not built', async () => {
    const root = await installCopy()
    const run = await execa(process.execPath, [join(root, 'bin', 'bpvm.js'), 'doctor'], { reject: false })
    expect(run.exitCode).toBe(1)
    expect(run.stderr.split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/^bpvm: .*run `npm run build`/)
  })

  it('starts out/main/cli.js when it is there', async () => {
    const root = await installCopy()
    await mkdir(join(root, 'out', 'main'), { recursive: true })
    await writeFile(join(root, 'out', 'main', 'cli.js'), 'process.stdout.write(JSON.stringify(process.argv.slice(2)))\n')
    const run = await execa(process.execPath, [join(root, 'bin', 'bpvm.js'), 'doctor', '--json'])
    expect(JSON.parse(run.stdout)).toEqual(['doctor', '--json'])
  })
})

// `npm ci` builds the app (the `prepare` script), so the installed `bpvm` is the built CLI.
const builtCli = join(repoRoot, 'out', 'main', 'cli.js')
const inCi = process.env.CI === 'true' || process.env.CI === '1'
const describeBuilt = existsSync(builtCli) || inCi ? describe : describe.skip

describeBuilt('the installed bpvm (built CLI; run `npm run build` first outside CI)', () => {
  it('answers --help through npx and runs a command', async () => {
    const help = await execa('npx', ['--no-install', 'bpvm', '--help'], { cwd: repoRoot })
    expect(help.stdout).toMatch(/^Usage: bpvm/)
    for (const command of ['disk', 'doctor']) expect(help.stdout).toContain(command)
    const doctor = await execa(process.execPath, [join(repoRoot, 'bin', 'bpvm.js'), 'doctor', '--json'])
    expect(JSON.parse(doctor.stdout)).toMatchObject({ ok: true, value: { programs: expect.any(Array) } })
  })
})
