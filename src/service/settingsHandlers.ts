import { API, type SettingsInfo, type SettingsUpdate } from '../shared/api'
import { appDirs } from '../main/runtime/appDirs'
import { resolveEgress } from '../main/runtime/net/hostNetwork'
import { HOST_NET } from '../main/runtime/net/netContext'
import { parsePool } from '../main/runtime/net/subnetPool'
import { readAppSettings, updateAppSettings } from '../main/runtime/settings/appSettings'
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
 * The request's schema has checked every general setting (the same shape the settings file is
 * read with). The network values need the host: each is checked before anything is written, so
 * a refused value leaves both files as they were, and is named by its path in the request
 * (`network.pool`, `network.egressInterface`).
 */
async function updateSettings({ app, network }: SettingsUpdate): Promise<SettingsInfo> {
  if (network?.pool !== undefined) parsePool(network.pool, 'network.pool')
  if (typeof network?.egressInterface === 'string') await resolveEgress(HOST_NET, network.egressInterface, 'network.egressInterface')
  if (network !== undefined) await updateNetworkSettings(network)
  if (app !== undefined) await updateAppSettings(app)
  return readSettings()
}
