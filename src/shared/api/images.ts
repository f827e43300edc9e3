import { z } from 'zod'
import { channel, noRequest } from './channel'
import type { TaskInfo } from './tasks'

/** The images bpvm downloads or builds itself, as `--image` and the default-image setting name them. */
export const NAMED_IMAGES = ['ubuntu', 'debian', 'dev'] as const
export type NamedImage = (typeof NAMED_IMAGES)[number]

/** One image in the cache. */
export interface ImageEntry {
  /** As `bpvm image ls` names it: `ubuntu/noble-20260321`, `dev/<build>`. */
  name: string
  kind: NamedImage
  dir: string
  sizeBytes: number
  /** Complete and verified (a partial or damaged one is listed so it can be removed). */
  ready: boolean
  detail: string
}

export interface ImageList {
  cacheDir: string
  images: ImageEntry[]
}

export interface DebianBuildRequest {
  suite?: string
  mirror?: string
  include?: string[]
}

export interface RemovedImageInfo {
  name: string
  dir: string
  freedBytes: number
}

export const imagesApi = {
  list: channel<undefined, ImageList>('images:list', noRequest),
  /** Downloads the pinned Ubuntu release as a task (progress with bytes as `tasks:progress`). */
  pull: channel<undefined, TaskInfo>('images:pull', noRequest),
  /** Builds the offline dev guest as a task. */
  buildDev: channel<undefined, TaskInfo>('images:buildDev', noRequest),
  /** Builds (or finds in the cache) the Debian cloud guest as a cancellable task; default: bookworm from the host's mirror. */
  buildDebian: channel<DebianBuildRequest | undefined, TaskInfo>(
    'images:buildDebian',
    z
      .object({
        suite: z.string().min(1).max(64).optional(),
        mirror: z.string().min(1).max(2048).optional(),
        include: z.array(z.string().min(1).max(128)).max(200).optional()
      })
      .strict()
      .optional()
  ),
  remove: channel<{ name: string; force?: boolean }, RemovedImageInfo>(
    'images:remove',
    z.object({ name: z.string().min(1).max(4096), force: z.boolean().optional() }).strict()
  )
} as const
