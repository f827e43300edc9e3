import { DEFAULT_APP_SETTINGS } from '../../shared/api/appSettingsShape'
import type { AppSettingsInfo, SettingsUpdate } from '../../shared/api/settings'
import { invalidInput } from '../../shared/errors'
import { parseSize } from '../../shared/sizes'
import { callService } from './inProcessService'

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

type AppPatch = NonNullable<SettingsUpdate['app']>

/**
 * Text becomes a number here, so `-5` or `1.5` reach the service as numbers and are refused
 * there in the words every host uses; anything that is no number is refused here.
 */
function secondsOf(text: string): number {
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(text)) return Number(text)
  throw invalidInput('--grace', `expected a number of seconds, got ${JSON.stringify(text)}`)
}

/**
 * The choices pass as typed: the service's schema refuses one that is none of its own, naming
 * what fits. (The option's text is the request's value; the schema is the check.)
 */
function patchOf(options: SettingsOptions): AppPatch {
  const given = {
    defaultVmm: options.vmm,
    defaultImage: options.image,
    defaultAccel: options.accel,
    graceSeconds: options.grace === undefined ? undefined : secondsOf(options.grace),
    logMaxBytes: options.logSize === undefined ? undefined : parseSize(options.logSize, '--log-size'),
    onQuit: options.onQuit,
    theme: options.theme
  }
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as AppPatch
}

/**
 * Shows the settings (`settings:get`), after applying the options given (`settings:update`).
 * `--reset` starts from the defaults, then applies any other option given with it.
 */
export async function configureSettings(options: SettingsOptions): Promise<AppSettingsInfo> {
  const patch = patchOf(options)
  if (options.reset) return (await callService('settings:update', { app: { ...DEFAULT_APP_SETTINGS, ...patch } })).app
  if (Object.keys(patch).length === 0) return (await callService('settings:get', undefined)).app
  return (await callService('settings:update', { app: patch })).app
}
