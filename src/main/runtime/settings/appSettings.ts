import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { APP_SETTING_NAMES, DEFAULT_APP_SETTINGS, appSettingsShape } from '../../../shared/api/appSettingsShape'
import type { AppSettingsInfo } from '../../../shared/api/settings'
import { appDirs } from '../appDirs'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { withFileLock } from '../state/fileLock'
import { parseJsonWith } from '../state/parseJson'

/** The app's general settings (the API's own type); kept in `<state>/settings.json`, shared by the app and the CLI. */
export type AppSettings = AppSettingsInfo

export type AppSettingsPatch = Partial<AppSettings>

const shown = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value))

// A file from an older version may lack newer keys, and a newer one may have keys we do not know.
const fileSchema = z.object(appSettingsShape).partial()
const patchSchema = z.strictObject(appSettingsShape).partial()

const settingsFile = (stateDir: string): string => join(stateDir, 'settings.json')

/** Checks a patch from outside (IPC, CLI): each value, and that every key is a setting. */
export function checkAppSettingsPatch(patch: unknown): AppSettingsPatch {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalidInput('settings', `expected an object of settings, got ${shown(patch)}`)
  const result = patchSchema.safeParse(patch)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (issue?.code === 'unrecognized_keys') throw invalidInput(issue.keys[0] ?? 'settings', `is not a setting (settings: ${APP_SETTING_NAMES.join(', ')})`)
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
  const complete = APP_SETTING_NAMES.every((name) => changes[name] !== undefined)
  const file = settingsFile(stateDir)
  await mkdir(stateDir, { recursive: true, mode: 0o700 })
  return withFileLock(`${file}.lock`, async () => {
    const current = complete ? DEFAULT_APP_SETTINGS : await readAppSettings(stateDir)
    const next: AppSettings = { ...current, ...changes }
    await writeJsonAtomic(file, next)
    return next
  })
}
