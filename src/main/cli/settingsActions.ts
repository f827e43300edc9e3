import { namingTheOption } from './optionNames'
import { parseSize } from '../runtime/disk/parseSize'
import { DEFAULT_APP_SETTINGS, checkAppSettingsPatch, readAppSettings, updateAppSettings, type AppSettings } from '../runtime/settings/appSettings'

/** What `bpvm settings` was given, as typed on the command line. */
export interface SettingsOptions {
  vmm?: string
  image?: string
  accel?: string
  grace?: string
  logSize?: string
  onQuit?: string
  theme?: string
  reset?: boolean
}

/** The option that sets each setting, so an error names what the user typed. */
const OPTION_OF: Record<keyof AppSettings, string> = {
  defaultVmm: '--vmm',
  defaultImage: '--image',
  defaultAccel: '--accel',
  graceSeconds: '--grace',
  logMaxBytes: '--log-size',
  onQuit: '--on-quit',
  theme: '--theme'
}

/** Numbers become numbers (so `-5` or `1.5` is reported as such); anything else stays text and is rejected as text. */
const numberOrText = (text: string): number | string => (/^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text)

function patchOf(options: SettingsOptions): Record<string, unknown> {
  const given: Record<keyof AppSettings, unknown> = {
    defaultVmm: options.vmm,
    defaultImage: options.image,
    defaultAccel: options.accel,
    graceSeconds: options.grace === undefined ? undefined : numberOrText(options.grace),
    logMaxBytes: options.logSize === undefined ? undefined : parseSize(options.logSize, OPTION_OF.logMaxBytes),
    onQuit: options.onQuit,
    theme: options.theme
  }
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined))
}

/**
 * Shows the settings, after applying the options given. `--reset` starts from the defaults,
 * then applies any other option given with it.
 */
export async function configureSettings(options: SettingsOptions): Promise<AppSettings> {
  try {
    const patch = checkAppSettingsPatch(patchOf(options))
    if (options.reset) return await updateAppSettings({ ...DEFAULT_APP_SETTINGS, ...patch })
    return Object.keys(patch).length > 0 ? await updateAppSettings(patch) : await readAppSettings()
  } catch (error) {
    throw namingTheOption(error, OPTION_OF)
  }
}
