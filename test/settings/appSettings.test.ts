import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_APP_SETTINGS } from '../../src/shared/api/appSettingsShape'
import {
  checkAppSettingsPatch,
  readAppSettings,
  updateAppSettings,
  type AppSettingsPatch
} from '../../src/main/runtime/settings/appSettings'
import { bpvmFailure } from '../support/bpvmFailure'
import { useTempDirs } from '../support/tempDirs'

const tempDir = useTempDirs('bpvm-settings-')

const failure = bpvmFailure

const settingsFile = (stateDir: string): string => join(stateDir, 'settings.json')

describe('app settings', () => {
  it('are the defaults when there is no file, and reading writes nothing', async () => {
    const stateDir = await tempDir()
    expect(await readAppSettings(stateDir)).toEqual({
      defaultVmm: 'auto',
      defaultImage: 'ubuntu',
      defaultAccel: 'auto',
      graceSeconds: 30,
      logMaxBytes: 16 * 1024 * 1024,
      onQuit: 'ask',
      theme: 'system'
    })
    expect(await readdir(stateDir)).toEqual([])
  })

  it('keeps what is changed, leaves the rest, and reads it back', async () => {
    const stateDir = await tempDir()
    const updated = await updateAppSettings({ defaultVmm: 'qemu', graceSeconds: 0, logMaxBytes: 65536 }, { stateDir })
    const expected = { ...DEFAULT_APP_SETTINGS, defaultVmm: 'qemu', graceSeconds: 0, logMaxBytes: 65536 }
    expect(updated).toEqual(expected)
    expect(await readAppSettings(stateDir)).toEqual(expected)
    expect(await updateAppSettings({ theme: 'dark' }, { stateDir })).toEqual({ ...expected, theme: 'dark' })
    expect(JSON.parse(await readFile(settingsFile(stateDir), 'utf8'))).toEqual({ ...expected, theme: 'dark' })
    // The lock file is gone once the write is done.
    expect(await readdir(stateDir)).toEqual(['settings.json'])
  })

  it('creates the state directory when it does not exist yet', async () => {
    const stateDir = join(await tempDir(), 'state')
    await updateAppSettings({ onQuit: 'leave' }, { stateDir })
    expect((await readAppSettings(stateDir)).onQuit).toBe('leave')
  })

  it('fills keys an older file lacks with defaults and ignores keys it does not know', async () => {
    const stateDir = await tempDir()
    await writeFile(settingsFile(stateDir), JSON.stringify({ theme: 'light', someFutureSetting: true }))
    expect(await readAppSettings(stateDir)).toEqual({ ...DEFAULT_APP_SETTINGS, theme: 'light' })
  })

  it.each([
    ['not JSON', '{"theme": "dark"'],
    ['not an object', '[]'],
    ['a value of the wrong type', '{"graceSeconds": "30"}'],
    ['a value out of range', '{"logMaxBytes": 12}'],
    ['an unknown choice', '{"defaultVmm": "firecracker"}']
  ])('say the file is corrupt, naming it, when it holds %s', async (_, text) => {
    const stateDir = await tempDir()
    const file = settingsFile(stateDir)
    await writeFile(file, text)
    const error = await failure(readAppSettings(stateDir))
    expect(error.code).toBe('STATE_CORRUPT')
    expect(error.message).toContain(file)
    expect(error.details).toEqual({ file })
    // An update cannot build on a corrupt file, and leaves it alone.
    expect((await failure(updateAppSettings({ theme: 'dark' }, { stateDir }))).code).toBe('STATE_CORRUPT')
    expect(await readFile(file, 'utf8')).toBe(text)
  })

  it('replaces a corrupt file when every value is set (a reset)', async () => {
    const stateDir = await tempDir()
    await writeFile(settingsFile(stateDir), 'garbage')
    expect(await updateAppSettings({ ...DEFAULT_APP_SETTINGS }, { stateDir })).toEqual(DEFAULT_APP_SETTINGS)
    expect(await readAppSettings(stateDir)).toEqual(DEFAULT_APP_SETTINGS)
  })

  const badValues: [string, unknown, RegExp][] = [
    ['defaultVmm', 'firecracker', /^defaultVmm: must be one of auto, cloud-hypervisor, qemu; got "firecracker"$/],
    ['defaultImage', 'alpine', /^defaultImage: must be one of ubuntu, debian, dev; got "alpine"$/],
    ['defaultAccel', 'hvf', /^defaultAccel: must be one of auto, kvm, tcg; got "hvf"$/],
    ['graceSeconds', -1, /^graceSeconds: must be a whole number of seconds from 0 to 3600; got -1$/],
    ['graceSeconds', 3601, /^graceSeconds: must be a whole number of seconds from 0 to 3600; got 3601$/],
    ['graceSeconds', 1.5, /^graceSeconds: .* got 1\.5$/],
    ['graceSeconds', '30', /^graceSeconds: .* got "30"$/],
    ['graceSeconds', Number.NaN, /^graceSeconds: must be a whole number/],
    ['graceSeconds', null, /^graceSeconds: .* got null$/],
    ['logMaxBytes', 65535, /^logMaxBytes: must be a whole number of bytes from 65536 \(64 KiB\) to 1073741824 \(1 GiB\); got 65535 \(64\.0 KiB\)$/],
    ['logMaxBytes', 2 ** 30 + 1, /^logMaxBytes: .* got 1073741825 \(1\.0 GiB\)$/],
    ['onQuit', 'never', /^onQuit: must be one of ask, stop, leave; got "never"$/],
    ['theme', 'solarized', /^theme: must be one of system, light, dark; got "solarized"$/],
    ['colour', 'red', /^colour: is not a setting \(settings: defaultVmm, defaultImage, /]
  ]

  it.each(badValues)('rejects %s = %j, naming the field, and writes nothing', async (field, value, message) => {
    const stateDir = await tempDir()
    await updateAppSettings({ theme: 'light' }, { stateDir })
    const before = await readFile(settingsFile(stateDir), 'utf8')
    const patch = { [field]: value } as AppSettingsPatch
    const error = await failure(updateAppSettings(patch, { stateDir }))
    expect(error.code).toBe('INVALID_INPUT')
    expect(error.details).toEqual({ field })
    expect(error.message).toMatch(message)
    expect(await readFile(settingsFile(stateDir), 'utf8')).toBe(before)
    expect(() => checkAppSettingsPatch(patch)).toThrow(message)
  })

  it('checks a patch from outside: only settings, values of the right kind, absent values skipped', () => {
    expect(checkAppSettingsPatch({ theme: 'dark', graceSeconds: undefined })).toEqual({ theme: 'dark' })
    expect(checkAppSettingsPatch({})).toEqual({})
    for (const patch of [null, 'theme=dark', [], 3]) {
      expect(() => checkAppSettingsPatch(patch)).toThrow(/^settings: expected an object of settings/)
    }
  })
})
