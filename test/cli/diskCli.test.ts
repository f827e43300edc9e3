import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { launchScript } from '../../src/main/runtime/disk/launchScript'
import { serviceArguments, serviceEnvironment } from '../../src/main/runtime/disk/serviceEnv'
import { extractFat, fatInspectPrograms } from '../support/fatInspect'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope, runCli, type CliRun } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

/** A failure as the user sees it: exit code, exactly one `bpvm:` line on stderr. */
function expectFailure(run: CliRun, exitCode: number, message: RegExp): void {
  expect(run.exitCode).toBe(exitCode)
  expect(run.stderrLines).toHaveLength(1)
  expect(run.stderrLines[0]).toMatch(/^bpvm: /)
  expect(run.stderrLines[0]?.slice('bpvm: '.length)).toMatch(message)
}

const serviceArgs = (binary: string, out: string): string[] => [
  'disk', 'service', '--binary', binary, '--out', out,
  '--http-rpc-url', 'http://172.30.0.1:9944', '--ws-rpc-url', 'ws://172.30.0.1:9944', '--blueprint-id', '4', '--service-id', '9'
]

describe('bpvm usage errors', () => {
  it('exits 2 with one line when no command is given', async () => {
    expectFailure(await runCli([]), 2, /a command is required/)
    expectFailure(await runCli(['disk']), 2, /a command is required/)
  })

  it('exits 2 for an unknown option or a missing required one, with a JSON envelope under --json', async () => {
    expectFailure(await runCli(['disk', 'data', '--size', '1G', '--out', 'x', '--bogus']), 2, /unknown option '--bogus'/)
    const missing = await runCli(['disk', 'data', '--size', '1G', '--json'])
    expectFailure(missing, 2, /required option '--out <file>' not specified/)
    expect(envelope(missing)).toEqual({ ok: false, error: { code: 'USAGE', message: "required option '--out <file>' not specified" } })
  })

  it('prints help on --help and exits 0', async () => {
    const run = await runCli(['disk', 'service', '--help'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/--binary <file>/)
    expect(run.stdout).toMatch(/Service arguments/)
  })
})

describeWithPrograms(['qemu-img'], 'bpvm disk data', () => {
  const tempDir = useTempDirs()

  it('creates, then keeps the disk, reporting which in JSON and in words', async () => {
    const work = await tempDir()
    const out = join(work, 'data.qcow2')
    const created = await runCli(['disk', 'data', '--size', '32M', '--out', out, '--json'])
    expect(created.exitCode).toBe(0)
    expect(envelope(created)).toEqual({ ok: true, value: { path: out, action: 'created', virtualSizeBytes: 32 * 2 ** 20, requestedBytes: 32 * 2 ** 20 } })

    const kept = await runCli(['disk', 'data', '--size', '64M', '--out', out])
    expect(kept.exitCode).toBe(0)
    expect(kept.stdout).toMatch(/^Existing data disk kept at .*data\.qcow2 \(32 MiB; not resized to 64 MiB/)

    const recreated = await runCli(['disk', 'data', '--size', '64M', '--out', out, '--recreate'])
    expect(recreated.stdout).toMatch(/^Data disk recreated at .*data\.qcow2 \(64 MiB\)/)
  })

  it('exits 1 with one line and an error envelope for a bad size', async () => {
    const work = await tempDir()
    const run = await runCli(['disk', 'data', '--size', 'twenty', '--out', join(work, 'd.qcow2'), '--json'])
    expectFailure(run, 1, /^--size: expected a size like 20G/)
    expect(envelope(run)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/^--size:/) } })
    expect(await readdir(work)).toEqual([])
  })
})

describeWithPrograms([...fatInspectPrograms], 'bpvm disk service and cidata', () => {
  const tempDir = useTempDirs()

  it('builds a service disk whose /launch carries the options given', async () => {
    const work = await tempDir()
    const binary = join(work, 'svc')
    await writeFile(binary, '#!/bin/sh\n', { mode: 0o755 })
    const out = join(work, 'service.img')
    const hostile = `it's "$(id)" \`x\` \\ *`
    const run = await runCli([
      ...serviceArgs(binary, out),
      '--env', `NOTE=${hostile}`, '--env', 'EMPTY=', '--arg', '--name=a b', '--bootnode', '/ip4/1.2.3.4/tcp/1',
      '-vv', '--test-mode', '--registration', '--chain', 'local_testnet', '--json'
    ])
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(envelope(run)).toMatchObject({ ok: true, value: { path: out, files: 2 } })

    const extracted = join(work, 'x')
    await mkdir(extracted)
    await extractFat(out, extracted)
    const expected = launchScript(
      serviceEnvironment({
        httpRpcUrl: 'http://172.30.0.1:9944', wsRpcUrl: 'ws://172.30.0.1:9944', blueprintId: 4, serviceId: 9, protocol: 'tangle',
        chain: 'local_testnet', bootnodes: ['/ip4/1.2.3.4/tcp/1'], registration: true, extraEnv: [['NOTE', hostile], ['EMPTY', '']]
      }),
      serviceArguments({ testMode: true, verbosity: 2, extraArgs: [['--name', 'a b']] })
    )
    expect(await readFile(join(extracted, 'launch'), 'utf8')).toBe(expected)
  })

  it('reports a directory given as the binary in one line, and writes nothing', async () => {
    const work = await tempDir()
    const run = await runCli([...serviceArgs(work, join(work, 'service.img')), '--json'])
    expectFailure(run, 1, /^--binary: .* is a directory/)
    expect(envelope(run).error?.code).toBe('INVALID_INPUT')
    expect(await readdir(work)).toEqual([])
  })

  it('keeps an error that quotes a newline on one line', async () => {
    const work = await tempDir()
    const run = await runCli([...serviceArgs(work, join(work, 'service.img')), '--env', 'BAD\nNAME=1'])
    expectFailure(run, 1, /^--env: "BAD\\nNAME" is not a variable name/)
  })

  it('builds a cloud-init disk, and refuses a bad MAC with exit 1', async () => {
    const work = await tempDir()
    const out = join(work, 'cidata.img')
    const base = ['disk', 'cidata', '--instance-id', 'vm-1', '--address', '172.30.0.2/24', '--gateway', '172.30.0.1', '--out', out]
    const ok = await runCli([...base, '--mac', '52:54:00:00:00:01', '--dns', '9.9.9.9', '--dns', '1.0.0.1'])
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toMatch(/^Cloud-init disk written to .*cidata\.img/)
    expect(existsSync(out)).toBe(true)

    const bad = await runCli([...base, '--mac', '52:54:00:00:00', '--out', join(work, 'bad.img')])
    expectFailure(bad, 1, /^--mac: expected six hex pairs/)
    expect(existsSync(join(work, 'bad.img'))).toBe(false)
  })

  describeAsRoot('an --out that is a device node, a FIFO, a socket or a link', () => {
    it('is never written over; an existing regular file is replaced only with --force', async () => {
      const work = await tempDir()
      const cidata = (out: string, ...more: string[]) =>
        runCli(['disk', 'cidata', '--instance-id', 'vm-1', '--mac', '52:54:00:00:00:01', '--address', '172.30.0.2/24', '--gateway', '172.30.0.1', '--out', out, ...more])
      const device = join(work, 'null-device')
      const fifo = join(work, 'fifo')
      const link = join(work, 'link.img')
      execFileSync('mknod', [device, 'c', '1', '3'])
      execFileSync('mkfifo', [fifo])
      await writeFile(join(work, 'target.img'), 'kept')
      await symlink(join(work, 'target.img'), link)
      for (const [path, what] of [[device, 'a device'], [fifo, 'a FIFO'], [link, 'a link']] as const) {
        for (const force of [[], ['--force']]) {
          expectFailure(await cidata(path, ...force), 1, new RegExp(`^--out: .* exists and is ${what}, not a regular file; it is never written over`))
        }
      }
      expect(statSync(device).isCharacterDevice()).toBe(true)
      expect(statSync(fifo).isFIFO()).toBe(true)
      expect(await readFile(join(work, 'target.img'), 'utf8')).toBe('kept')
      const serviceOut = join(work, 'fifo-service')
      execFileSync('mkfifo', [serviceOut])
      expectFailure(await runCli([...serviceArgs('/bin/true', serviceOut), '--force']), 1, /is a FIFO, not a regular file/)

      const existing = join(work, 'existing.img')
      await writeFile(existing, 'an older file')
      expectFailure(await cidata(existing), 1, /^--out: .*existing\.img exists; pass --force to replace it$/)
      expect(await readFile(existing, 'utf8')).toBe('an older file')
      expect((await cidata(existing, '--force')).exitCode).toBe(0)
      expect(statSync(existing).size).toBeGreaterThan(1024 * 1024)
    }, 60_000)
  })

  describeAsRoot('an output directory on a read-only mount', () => {
    it('is refused naming --out, and nothing is written', async () => {
      const work = await tempDir()
      const binary = join(work, 'svc')
      await writeFile(binary, '#!/bin/sh\n')
      const readOnly = join(work, 'ro')
      await mkdir(readOnly)
      // The read-only bind mount exists only inside this namespace; root ignores file modes, not mounts.
      const inReadOnlyNamespace = ['unshare', '-m', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', readOnly]
      const run = await runCli([...serviceArgs(binary, join(readOnly, 'service.img')), '--json'], { prefix: inReadOnlyNamespace })
      expectFailure(run, 1, /^--out: directory .*ro is on a read-only filesystem/)
      expect(envelope(run).error?.code).toBe('OUTPUT_NOT_WRITABLE')
      expect(await readdir(readOnly)).toEqual([])
    })
  })
})
