import { API, type SettingsInfo, type SettingsUpdate } from '../shared/api'
import { appDirs } from '../main/runtime/appDirs'
import { BpvmError, invalidInput } from '../shared/errors'
import { resolveEgress } from '../main/runtime/net/hostNetwork'
import { HOST_NET } from '../main/runtime/net/netContext'
import { parsePool } from '../main/runtime/net/subnetPool'
import { checkAppSettingsPatch, readAppSettings, updateAppSettings, type AppSettingsPatch } from '../main/runtime/settings/appSettings'
import { readNetworkSettings, updateNetworkSettings } from '../main/runtime/settings/networkSettings'
import { handle, type HandlerEntry } from './channelHandler'

export function settingsHandlers(): HandlerEntry[] {
  return [handle(API.settings.get, readSettings), handle(API.settings.update, updateSettings)]
}

async function readSettings(): Promise<SettingsInfo> {
  const [app, network] = await Promise.all([readAppSettings(), readNetworkSettings()])
  return { app, network, dirs: appDirs() }
}

/**
 * Every value is checked before anything is written, so a refused value leaves both files as
 * they were. A refused value is named by its path in the request (`app.graceSeconds`,
 * `network.pool`), as a schema failure would name it.
 */
async function updateSettings({ app, network }: SettingsUpdate): Promise<SettingsInfo> {
  let appPatch: AppSettingsPatch | undefined
  try {
    appPatch = app === undefined ? undefined : checkAppSettingsPatch(app)
  } catch (error) {
    throw renameField(error, (field) => `app.${field}`)
  }
  if (network?.pool !== undefined) parsePool(network.pool, 'network.pool')
  if (typeof network?.egressInterface === 'string') {
    await resolveEgress(HOST_NET, network.egressInterface).catch((error: unknown) => {
      throw renameField(error, () => 'network.egressInterface')
    })
  }
  if (network !== undefined) await updateNetworkSettings(network)
  if (appPatch !== undefined) await updateAppSettings(appPatch)
  return readSettings()
}

/** The runtime names a refused field as the CLI shows it; the API names it by its path in the request. */
function renameField(error: unknown, rename: (field: string) => string): unknown {
  const field = error instanceof BpvmError && error.code === 'INVALID_INPUT' ? error.details?.field : undefined
  if (typeof field !== 'string' || !(error instanceof BpvmError)) return error
  const problem = error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message
  return invalidInput(rename(field), problem)
}
