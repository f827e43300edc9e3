import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

describe('bpvm launch: a wrong option is named as typed, and refused before anything is made', () => {
  const tempDir = useTempDirs()

  it.each([
    [['--memory', '100K'], '--memory: must be a whole number of MiB, at least 128 MiB'],
    [['--memory', ' 512K'], '--memory: must be a whole number of MiB, at least 128 MiB'],
    [['--cpus', '0'], '--cpus: must be from 1 to 64, got 0'],
    [['--cpus', ' 2x'], '--cpus: '],
    [['--storage', '1M'], '--storage: must be at least 64 MiB'],
    [['--grace', '4000'], '--grace: must be a whole number of seconds from 0 to 3600'],
    [['--vmm', 'firecracker'], '--vmm: must be auto, cloud-hypervisor or qemu'],
    [['--forward', 'abc'], '--forward: "abc" is neither a port nor a URL'],
    [['--http-rpc-url', 'notaurl'], '--http-rpc-url: must be an http:// or https:// URL'],
    [['--blueprint-id', 'x'], '--blueprint-id: must be a whole number'],
    [['--env', '1BAD=x'], '--env: "1BAD" is not a variable name'],
    [['--env', 'CHAIN=x'], '--env: CHAIN is set by --chain; use that instead'],
    [['--arg', '=x'], '--arg: expected KEY=VALUE'],
    [['--keystore', '/nonexistent-keystore'], '--keystore: ']
  ])('%j → %s', async (extra, message) => {
    const home = await tempDir()
    const work = await tempDir()
    await writeFile(join(work, 'svc'), '#!/bin/sh\n', { mode: 0o755 })
    await mkdir(join(work, 'keystore'))
    const base = ['launch', '--name', 'named', '--binary', join(work, 'svc'), '--keystore', join(work, 'keystore'), '--http-rpc-url', 'http://127.0.0.1:9944', '--ws-rpc-url', 'ws://127.0.0.1:9944', '--blueprint-id', '1', '--service-id', '2', '--detach', '--json']
    const run = await runCli([...base, ...extra], { env: { BPVM_HOME: home, PATH: process.env.PATH ?? '' } })
    expect(run.exitCode).toBe(1)
    const result = envelope(run)
    expect(result.error?.message.startsWith(message)).toBe(true)
    expect(result.error?.details?.field).toBe(message.split(':')[0])
    expect(run.stderrLines).toEqual([`bpvm: ${result.error?.message}`])
    // Checked before reconcile, before any directory of the instance (or the home's state) exists.
    expect(await readdir(home)).toEqual([])
  })
})
