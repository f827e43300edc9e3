import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findProgram, versionLine } from '../../src/main/runtime/host/programProbe'
import type { DoctorReport } from '../../src/shared/api/host'
import { describeWithPrograms } from '../support/prerequisites'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

const PROGRAMS = ['qemu-img', 'qemu-system-x86_64', 'cloud-hypervisor', 'vhost-device-vsock', 'socat', 'lz4', 'mkfs.fat', 'fsck.fat', 'mcopy', 'ip', 'nft']

describeWithPrograms(['qemu-img'], 'bpvm doctor', () => {
  const tempDir = useTempDirs()

  it('lists every program with found/path/version, required or not, and a fix for the missing ones', async () => {
    const run = await runCli(['doctor', '--json'])
    expect(run.exitCode).toBe(0)
    const result = envelope(run)
    expect(result.ok).toBe(true)
    const report = result.value as DoctorReport
    expect(report.programs.map((p) => p.program).sort()).toEqual([...PROGRAMS].sort())
    const qemuImg = report.programs.find((p) => p.program === 'qemu-img')
    expect(qemuImg).toMatchObject({ found: true, required: true, path: expect.stringMatching(/\/qemu-img$/), version: expect.stringMatching(/^qemu-img version \d/) })
    // The vsock daemon for QEMU guests: the tests install it; a missing one says how to get it.
    const vsockDaemon = report.programs.find((p) => p.program === 'vhost-device-vsock')
    if (vsockDaemon?.found) expect(vsockDaemon.version).toMatch(/^vhost-device-vsock \d/)
    else expect(vsockDaemon?.fix).toMatch(/get-vhost-device-vsock\.sh/)
    for (const program of report.programs) {
      if (program.found) expect(program.path).toMatch(/^\//)
      else expect(program.fix).toBeTruthy()
    }
  })

  it('checks the host too: a VMM, privileges, forwarding, egress, accelerator, free subnets, free disk', async () => {
    const report = envelope(await runCli(['doctor', '--json'])).value as DoctorReport
    expect(report.host.map((c) => c.id)).toEqual(['vmm', 'net-admin', 'ip-forward', 'egress', 'kvm', 'qemu-vsock', 'leases', 'disk', 'state'])
    // QEMU is installed for the tests; cloud-hypervisor may or may not be.
    expect(report.host[0]).toMatchObject({ id: 'vmm', ok: true })
    for (const check of report.host) expect(check.detail).toBeTruthy()
    // vitest gives the run a fresh BPVM_HOME: nothing is leased there.
    expect(report.host.find((c) => c.id === 'leases')?.detail).toMatch(/^\d+ of \d+ \/30s free in 172\.30\.0\.0\/16 \(0 leased/)
    expect(report.host.find((c) => c.id === 'disk')?.detail).toMatch(/GiB free in .*\/data$/)
  })

  it('reports the egress interface launches will use: the configured one, and says when it does not exist', async () => {
    const home = await tempDir()
    await mkdir(join(home, 'state'), { recursive: true })
    await writeFile(join(home, 'state', 'network.json'), JSON.stringify({ pool: '172.30.0.0/16', egressInterface: 'lo' }))
    const configured = envelope(await runCli(['doctor', '--json'], { env: { ...process.env, BPVM_HOME: home } as Record<string, string> })).value as DoctorReport
    expect(configured.host.find((c) => c.id === 'egress')).toMatchObject({ ok: true, detail: 'lo (configured)' })
    await writeFile(join(home, 'state', 'network.json'), JSON.stringify({ pool: '172.30.0.0/16', egressInterface: 'nosuch9' }))
    const missing = envelope(await runCli(['doctor', '--json'], { env: { ...process.env, BPVM_HOME: home } as Record<string, string> })).value as DoctorReport
    expect(missing.host.find((c) => c.id === 'egress')).toMatchObject({ ok: false, detail: expect.stringContaining('nosuch9 does not exist on this host') })
  })

  it('prints one line per program for people', async () => {
    const run = await runCli(['doctor'])
    expect(run.exitCode).toBe(0)
    for (const program of PROGRAMS) expect(run.stdout).toMatch(new RegExp(`^\\S+\\s+${program.replace('.', '\\.')}\\s`, 'm'))
    expect(run.stdout).toMatch(/^ok\s+qemu-img\s+qemu-img version/m)
  })

  it('says how to install a required program that is not on PATH', async () => {
    // qemu-img lives in /usr/bin, which this PATH lacks (the sbin fallbacks do not hold it).
    const run = await runCli(['doctor', '--json'], { env: { PATH: await tempDir() } })
    const report = envelope(run).value as DoctorReport
    expect(report.programs.find((p) => p.program === 'qemu-img')).toEqual({
      program: 'qemu-img',
      purpose: expect.any(String),
      required: true,
      found: false,
      fix: 'apt install qemu-utils'
    })
    const human = await runCli(['doctor'], { env: { PATH: await tempDir() } })
    expect(human.stdout).toMatch(/^MISSING\s+qemu-img\s+required: .*fix: apt install qemu-utils$/m)
    expect(human.stdout).toMatch(/required programs? (is|are) missing\.$/m)
  })
})

describe('program probe', () => {
  const tempDir = useTempDirs()

  it('finds executables on the given PATH only, and reads the version line', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'fake-tool'), '#!/bin/sh\necho\necho "Usage: fake-tool" >&2\necho "fake-tool 1.2.3 (build 7)"\n', { mode: 0o755 })
    await writeFile(join(dir, 'not-executable'), 'data', { mode: 0o644 })
    const path = await findProgram('fake-tool', dir)
    expect(path).toBe(join(dir, 'fake-tool'))
    expect(await findProgram('not-executable', dir)).toBeUndefined()
    expect(await findProgram('bpvm-no-such-program', dir)).toBeUndefined()
    expect(await versionLine(path ?? '', ['--version'], /^fake-tool \d/)).toBe('fake-tool 1.2.3 (build 7)')
  })
})
