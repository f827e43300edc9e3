import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { MAX_GRACE_SECONDS } from '../../../shared/api/instances'
import { NAMED_IMAGES } from '../../../shared/api/images'
import type { AppSettingsInfo } from '../../../shared/api/settings'
import { appDirs } from '../appDirs'
import { formatSize } from '../disk/parseSize'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { withFileLock } from '../state/fileLock'
import { parseJsonWith } from '../state/parseJson'

/** The app's general settings (the API's own type); kept in `<state>/settings.json`, shared by the app and the CLI. */
export type AppSettings = AppSettingsInfo

export type AppSettingsPatch = Partial<AppSettings>

export const DEFAULT_APP_SETTINGS: AppSettings = Object.freeze({
  defaultVmm: 'auto',
  defaultImage: 'ubuntu',
  defaultAccel: 'auto',
  graceSeconds: 30,
  logMaxBytes: 16 * 2 ** 20,
  onQuit: 'ask',
  theme: 'system'
})

const shown = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value))

function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
  return z.enum(choices, { error: (issue) => `must be one of ${choices.join(', ')}; got ${shown(issue.input)}` })
}

/** One message for every way a number can be wrong (type, fraction, range), so it always says what fits. */
function wholeNumber(min: number, max: number, range: string, describe: (value: number) => string = String) {
  const error = (issue: { input?: unknown }): string => {
    const got = typeof issue.input === 'number' ? describe(issue.input) : shown(issue.input)
    return `must be a whole number ${range}; got ${got}`
  }
  return z.int({ error }).min(min, { error }).max(max, { error })
}

const MIN_LOG_BYTES = 64 * 2 ** 10
const MAX_LOG_BYTES = 2 ** 30
const sizeOf = (bytes: number): string => (Number.isSafeInteger(bytes) && bytes > 0 ? `${bytes} (${formatSize(bytes)})` : String(bytes))

const settingsShape = {
  defaultVmm: oneOf(['auto', 'cloud-hypervisor', 'qemu']),
  defaultImage: oneOf(NAMED_IMAGES),
  defaultAccel: oneOf(['auto', 'kvm', 'tcg']),
  graceSeconds: wholeNumber(0, MAX_GRACE_SECONDS, `of seconds from 0 to ${MAX_GRACE_SECONDS}`),
  logMaxBytes: wholeNumber(MIN_LOG_BYTES, MAX_LOG_BYTES, `of bytes from ${sizeOf(MIN_LOG_BYTES)} to ${sizeOf(MAX_LOG_BYTES)}`, sizeOf),
  onQuit: oneOf(['ask', 'stop', 'leave']),
  theme: oneOf(['system', 'light', 'dark'])
} satisfies { [K in keyof AppSettings]: z.ZodType<AppSettings[K]> }

const SETTING_NAMES = Object.keys(settingsShape) as (keyof AppSettings)[]
// A file from an older version may lack newer keys, and a newer one may have keys we do not know.
const fileSchema = z.object(settingsShape).partial()
const patchSchema = z.strictObject(settingsShape).partial()

const settingsFile = (stateDir: string): string => join(stateDir, 'settings.json')

/** Checks a patch from outside (IPC, CLI): each value, and that every key is a setting. */
export function checkAppSettingsPatch(patch: unknown): AppSettingsPatch {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalidInput('settings', `expected an object of settings, got ${shown(patch)}`)
  const result = patchSchema.safeParse(patch)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (issue?.code === 'unrecognized_keys') throw invalidInput(issue.keys[0] ?? 'settings', `is not a setting (settings: ${SETTING_NAMES.join(', ')})`)
  throw invalidInput(String(issue?.path[0] ?? 'settings'), issue?.message ?? 'is not valid')
}

export async function readAppSettings(stateDir = appDirs().state): Promise<AppSettings> {
  const file = settingsFile(stateDir)
  const text = await readTextIfExists(file)
  if (text === undefined) return { ...DEFAULT_APP_SETTINGS }
  const saved = parseJsonWith(text, fileSchema)
  if (!saved) throw new BpvmError('STATE_CORRUPT', `${file} is not valid app settings; fix or delete it`, { file })
  return { ...DEFAULT_APP_SETTINGS, ...saved }
}

/**
 * Changes the settings named in `patch` and returns them all. Each value is checked first;
 * nothing is written on error. A patch that sets every value (a reset) does not read the old
 * file, so it also replaces a corrupt one.
 */
export async function updateAppSettings(patch: AppSettingsPatch, { stateDir = appDirs().state }: { stateDir?: string } = {}): Promise<AppSettings> {
  const changes = checkAppSettingsPatch(patch)
  const complete = SETTING_NAMES.every((name) => changes[name] !== undefined)
  const file = settingsFile(stateDir)
  await mkdir(stateDir, { recursive: true, mode: 0o700 })
  return withFileLock(`${file}.lock`, async () => {
    const current = complete ? DEFAULT_APP_SETTINGS : await readAppSettings(stateDir)
    const next: AppSettings = { ...current, ...changes }
    await writeJsonAtomic(file, next)
    return next
  })
}
