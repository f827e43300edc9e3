import type { SettingsInfo } from '../../shared/api/settings'
import { callService } from './inProcessService'

export { cleanupNet, forwarding, listNet } from '../../service/local/hostNetworkOperations'

export interface NetConfigPatch {
  pool?: string
  /** `null`: the default route's interface. */
  egressInterface?: string | null
}

/** Shows the network settings (`settings:get`), after applying `patch` when it changes anything (`settings:update`). */
export async function configureNet(patch: NetConfigPatch): Promise<SettingsInfo['network']> {
  const changes = Object.keys(patch).length > 0
  return (changes ? await callService('settings:update', { network: patch }) : await callService('settings:get', undefined)).network
}
