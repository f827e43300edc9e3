import { z } from 'zod'
import { channel, noRequest } from './channel'
import { appSettingsShape } from './appSettingsShape'
import type { NamedImage } from './images'

/** The app's general settings, shared by the app and the CLI. */
export interface AppSettingsInfo {
  /** auto: cloud-hypervisor when it is installed, else QEMU. */
  defaultVmm: 'auto' | 'cloud-hypervisor' | 'qemu'
  defaultImage: NamedImage
  defaultAccel: 'auto' | 'kvm' | 'tcg'
  /** Teardown: seconds to wait after the power button before the VMM is killed. Default 30. */
  graceSeconds: number
  /** Each log file is rotated when it reaches this size. Default 16 MiB. */
  logMaxBytes: number
  /** What the desktop app does when it quits while VMs run. */
  onQuit: 'ask' | 'stop' | 'leave'
  theme: 'system' | 'light' | 'dark'
}

export interface SettingsInfo {
  app: AppSettingsInfo
  network: { pool: string; egressInterface?: string }
  /** Where bpvm keeps its files (read-only here: they move with BPVM_HOME or the XDG variables). */
  dirs: { state: string; data: string; cache: string }
}

export const settingsUpdateSchema = z
  .object({
    app: z.strictObject(appSettingsShape).partial().optional(),
    network: z
      .object({
        pool: z.string().min(1).max(64),
        /** `null`: the default route's interface. */
        egressInterface: z.string().min(1).max(15).nullable()
      })
      .partial()
      .strict()
      .optional()
  })
  .strict()

export type SettingsUpdate = z.infer<typeof settingsUpdateSchema>

export const settingsApi = {
  get: channel<undefined, SettingsInfo>('settings:get', noRequest),
  /** Each value is checked by the runtime (a pool must be a valid network, an interface must exist); nothing is saved on error. */
  update: channel<SettingsUpdate, SettingsInfo>('settings:update', settingsUpdateSchema)
} as const
