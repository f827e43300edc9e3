import { findProgram } from '../host/programProbe'
import { readAppSettings, type AppSettings } from '../settings/appSettings'
import type { VmmKind } from '../vmm/vmmDriver'
import type { LaunchDefaults } from './launchSpec'

export const CLOUD_HYPERVISOR_PROGRAM = 'cloud-hypervisor'

/** `auto` is cloud-hypervisor when it is installed (on PATH), else QEMU. */
export async function resolveVmmSetting(setting: AppSettings['defaultVmm']): Promise<VmmKind> {
  if (setting !== 'auto') return setting
  return (await findProgram(CLOUD_HYPERVISOR_PROGRAM)) ? 'cloud-hypervisor' : 'qemu'
}

/** The choices a launch falls back on, from the settings shared by the app and the CLI. */
export async function launchDefaults(settings?: AppSettings): Promise<LaunchDefaults> {
  const chosen = settings ?? (await readAppSettings())
  return { vmm: await resolveVmmSetting(chosen.defaultVmm), image: chosen.defaultImage, accel: chosen.defaultAccel }
}
