import { hostChannels, type DoctorReport } from '../../shared/api/host'
import { handleTrusted, type IpcRegistrar } from './trustedHandler'

export interface HostServices {
  runDoctor(): Promise<DoctorReport>
}

/** The host domain's IPC; the runtime services come from the entry point so this stays testable. */
export function registerHostHandlers(ipc: IpcRegistrar, services: HostServices): void {
  handleTrusted(ipc, hostChannels.doctor, () => services.runDoctor())
}
