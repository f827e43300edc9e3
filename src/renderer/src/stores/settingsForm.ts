import type { SettingsInfo, SettingsUpdate } from '../../../shared/api/settings'
import { fieldMapper, type FieldErrors } from './fieldErrors'

/** The editable settings as the form holds them (numbers as text until saved). */
export interface SettingsForm {
  pool: string
  /** '' = the default route's interface. */
  egressInterface: string
  defaultVmm: SettingsInfo['app']['defaultVmm']
  defaultImage: SettingsInfo['app']['defaultImage']
  defaultAccel: SettingsInfo['app']['defaultAccel']
  graceSeconds: string
  logMaxMiB: string
  onQuit: SettingsInfo['app']['onQuit']
}

const MiB = 1024 * 1024

export function settingsForm(settings: SettingsInfo): SettingsForm {
  const { app, network } = settings
  return {
    pool: network.pool,
    egressInterface: network.egressInterface ?? '',
    defaultVmm: app.defaultVmm,
    defaultImage: app.defaultImage,
    defaultAccel: app.defaultAccel,
    graceSeconds: String(app.graceSeconds),
    logMaxMiB: String(Math.round((app.logMaxBytes / MiB) * 1000) / 1000),
    onQuit: app.onQuit
  }
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/

export function validateSettingsForm(form: SettingsForm): FieldErrors {
  const errors: FieldErrors = {}
  const cidr = CIDR.exec(form.pool.trim())
  if (!cidr || cidr.slice(1, 5).some((octet) => Number(octet) > 255) || Number(cidr[5]) > 30) {
    errors.pool = 'must be an IPv4 network with a prefix length up to /30, e.g. 172.30.0.0/16'
  }
  const grace = form.graceSeconds.trim()
  if (!/^\d+$/.test(grace) || Number(grace) > 3600) errors.graceSeconds = 'must be a whole number of seconds from 0 to 3600'
  const log = Number(form.logMaxMiB)
  if (form.logMaxMiB.trim() === '' || !Number.isFinite(log) || log * MiB < 64 * 1024 || log > 1024) {
    errors.logMaxMiB = 'must be from 0.0625 MiB (64 KiB) to 1024 MiB'
  }
  return errors
}

/** Only what differs from `saved`, so saving one field never rewrites another. */
export function settingsPatch(form: SettingsForm, saved: SettingsInfo): SettingsUpdate {
  const app: NonNullable<SettingsUpdate['app']> = {}
  const network: NonNullable<SettingsUpdate['network']> = {}
  if (form.pool.trim() !== saved.network.pool) network.pool = form.pool.trim()
  if (form.egressInterface !== (saved.network.egressInterface ?? '')) network.egressInterface = form.egressInterface === '' ? null : form.egressInterface
  if (form.defaultVmm !== saved.app.defaultVmm) app.defaultVmm = form.defaultVmm
  if (form.defaultImage !== saved.app.defaultImage) app.defaultImage = form.defaultImage
  if (form.defaultAccel !== saved.app.defaultAccel) app.defaultAccel = form.defaultAccel
  if (Number(form.graceSeconds) !== saved.app.graceSeconds) app.graceSeconds = Number(form.graceSeconds)
  const logMaxBytes = Math.round(Number(form.logMaxMiB) * MiB)
  if (logMaxBytes !== saved.app.logMaxBytes) app.logMaxBytes = logMaxBytes
  if (form.onQuit !== saved.app.onQuit) app.onQuit = form.onQuit
  const patch: SettingsUpdate = {}
  if (Object.keys(app).length > 0) patch.app = app
  if (Object.keys(network).length > 0) patch.network = network
  return patch
}

/** The runtime's and the schema's names for settings → the form's fields. */
export const settingsFieldOf = fieldMapper({
  pool: 'pool',
  'network.pool': 'pool',
  'network pool': 'pool',
  cidr: 'pool',
  egressInterface: 'egressInterface',
  'network.egressInterface': 'egressInterface',
  'egress interface': 'egressInterface',
  egress: 'egressInterface',
  defaultVmm: 'defaultVmm',
  'app.defaultVmm': 'defaultVmm',
  defaultImage: 'defaultImage',
  'app.defaultImage': 'defaultImage',
  defaultAccel: 'defaultAccel',
  'app.defaultAccel': 'defaultAccel',
  graceSeconds: 'graceSeconds',
  'app.graceSeconds': 'graceSeconds',
  logMaxBytes: 'logMaxMiB',
  'app.logMaxBytes': 'logMaxMiB',
  onQuit: 'onQuit',
  'app.onQuit': 'onQuit',
  theme: 'theme',
  'app.theme': 'theme'
})
