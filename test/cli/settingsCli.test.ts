import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

const DEFAULTS = {
  defaultVmm: 'auto',
  defaultImage: 'ubuntu',
  defaultAccel: 'auto',
  graceSeconds: 30,
  logMaxBytes: 16777216,
  onQuit: 'ask',
  theme: 'system'
}

describe('bpvm settings', () => {
  const tempDir = useTempDirs()

  /** `bpvm` with a BPVM_HOME of its own, and the settings file it keeps there. */
  async function freshHome() {
    const home = await tempDir()
    return {
      cli: (args: string[]) => runCli(['settings', ...args], { env: { BPVM_HOME: home } }),
      file: join(home, 'state', 'settings.json')
    }
  }

  it('shows the defaults, one setting a line, and where the network settings are', async () => {
    const { cli, file } = await freshHome()
    expect(envelope(await cli(['--json']))).toEqual({ ok: true, value: DEFAULTS })
    const human = await cli([])
    expect(human.exitCode).toBe(0)
    expect(human.stdout.split('\n')).toEqual([
      'defaultVmm: auto (cloud-hypervisor when it is installed, else QEMU)',
      'defaultImage: ubuntu',
      'defaultAccel: auto',
      'graceSeconds: 30',
      'logMaxBytes: 16 MiB',
      'onQuit: ask',
      'theme: system',
      'Network settings are under `bpvm net config`.'
    ])
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('changes what the options say, keeps it, and --reset goes back to the defaults', async () => {
    const { cli, file } = await freshHome()
    const set = await cli(['--vmm', 'qemu', '--image', 'debian', '--accel', 'tcg', '--grace', '5', '--log-size', '1G', '--on-quit', 'stop', '--theme', 'dark', '--json'])
    const changed = { defaultVmm: 'qemu', defaultImage: 'debian', defaultAccel: 'tcg', graceSeconds: 5, logMaxBytes: 2 ** 30, onQuit: 'stop', theme: 'dark' }
    expect(envelope(set)).toEqual({ ok: true, value: changed })
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(changed)

    const more = await cli(['--log-size', '512K'])
    expect(more.exitCode).toBe(0)
    expect(more.stdout).toMatch(/^defaultVmm: qemu$/m)
    expect(more.stdout).toMatch(/^logMaxBytes: 512 KiB$/m)
    expect(more.stdout).toMatch(/^theme: dark$/m)

    expect(envelope(await cli(['--reset', '--json']))).toEqual({ ok: true, value: DEFAULTS })
    expect(envelope(await cli(['--reset', '--theme', 'light', '--json']))).toEqual({ ok: true, value: { ...DEFAULTS, theme: 'light' } })
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ ...DEFAULTS, theme: 'light' })
  })

  it.each([
    [['--vmm', 'firecracker'], '--vmm: must be one of auto, cloud-hypervisor, qemu; got "firecracker"', 'INVALID_ARGUMENT'],
    [['--image', 'alpine'], '--image: must be one of ubuntu, debian, dev; got "alpine"', 'INVALID_ARGUMENT'],
    [['--accel', 'hvf'], '--accel: must be one of auto, kvm, tcg; got "hvf"', 'INVALID_ARGUMENT'],
    [['--grace', '3601'], '--grace: must be a whole number of seconds from 0 to 3600; got 3601', 'INVALID_ARGUMENT'],
    [['--grace=-1'], '--grace: must be a whole number of seconds from 0 to 3600; got -1', 'INVALID_ARGUMENT'],
    [['--grace', 'soon'], '--grace: expected a number of seconds, got "soon"', 'INVALID_INPUT'],
    [['--log-size', '1K'], '--log-size: must be a whole number of bytes from 65536 (64 KiB) to 1073741824 (1 GiB); got 1024 (1 KiB)', 'INVALID_ARGUMENT'],
    [['--log-size', '2G'], '--log-size: must be a whole number of bytes from 65536 (64 KiB) to 1073741824 (1 GiB); got 2147483648 (2 GiB)', 'INVALID_ARGUMENT'],
    [['--log-size', 'big'], '--log-size: expected a size like 20G, 512M or a number of bytes, got "big"', 'INVALID_INPUT'],
    [['--on-quit', 'never'], '--on-quit: must be one of ask, stop, leave; got "never"', 'INVALID_ARGUMENT'],
    [['--theme', 'solarized'], '--theme: must be one of system, light, dark; got "solarized"', 'INVALID_ARGUMENT']
  ])('rejects %j naming the option, and changes nothing', async (args, message, code) => {
    const { cli, file } = await freshHome()
    await cli(['--theme', 'light'])
    const before = await readFile(file, 'utf8')
    // A bad value among good ones: none of them is applied.
    const run = await cli(['--vmm', 'qemu', ...args])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderrLines).toEqual([`bpvm: ${message}`])
    const json = envelope(await cli([...args, '--json']))
    // The service's schema refuses a value of the wrong kind (INVALID_ARGUMENT); what the command line cannot read is refused before it (INVALID_INPUT).
    expect(json).toMatchObject({ ok: false, error: { code, message, details: { field: args[0]?.replace(/=.*/, '') } } })
    expect(await readFile(file, 'utf8')).toBe(before)
  })

  it('says which file is corrupt, and --reset replaces it', async () => {
    const { cli, file } = await freshHome()
    await cli(['--theme', 'light'])
    await writeFile(file, '{"theme": ')
    const run = await cli(['--json'])
    expect(run.exitCode).toBe(1)
    expect(envelope(run)).toMatchObject({ ok: false, error: { code: 'STATE_CORRUPT', message: `${file} is not valid app settings; fix or delete it` } })
    expect(envelope(await cli(['--reset', '--json']))).toEqual({ ok: true, value: DEFAULTS })
  })
})
