import { z } from 'zod'
import { formatSize } from '../sizes'
import { NAMED_IMAGES } from './images'
import { MAX_GRACE_SECONDS } from './instances'
import type { AppSettingsInfo } from './settings'

/** What a fresh home has: the values every host shows and `--reset` goes back to. */
export const DEFAULT_APP_SETTINGS: AppSettingsInfo = Object.freeze({
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

/**
 * Each general setting and what it may hold, with messages that say what fits. The API's
 * `settings:update` checks requests with it and the runtime checks its settings file with it,
 * so every host refuses the same values in the same words.
 */
export const appSettingsShape = {
  defaultVmm: oneOf(['auto', 'cloud-hypervisor', 'qemu']),
  defaultImage: oneOf(NAMED_IMAGES),
  defaultAccel: oneOf(['auto', 'kvm', 'tcg']),
  graceSeconds: wholeNumber(0, MAX_GRACE_SECONDS, `of seconds from 0 to ${MAX_GRACE_SECONDS}`),
  logMaxBytes: wholeNumber(MIN_LOG_BYTES, MAX_LOG_BYTES, `of bytes from ${sizeOf(MIN_LOG_BYTES)} to ${sizeOf(MAX_LOG_BYTES)}`, sizeOf),
  onQuit: oneOf(['ask', 'stop', 'leave']),
  theme: oneOf(['system', 'light', 'dark'])
} satisfies { [K in keyof AppSettingsInfo]: z.ZodType<AppSettingsInfo[K]> }

export const APP_SETTING_NAMES = Object.keys(appSettingsShape) as (keyof AppSettingsInfo)[]
