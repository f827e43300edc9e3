import { z } from 'zod'
import { launchRequestSchema, type LaunchRequest } from '../../../shared/api/instances'
import { BpvmError } from '../../../shared/errors'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { withFileLock } from '../state/fileLock'
import { parseJsonWith } from '../state/parseJson'
import { instancePaths } from './instanceRecord'

/**
 * The request an instance was last launched with, kept beside its record (mode 0600: its
 * environment may hold secrets), so a relaunch launches exactly it again; and whether its binary
 * and keystore are watched (a setting of the instance, so it outlives the app).
 */
export interface SavedLaunch {
  request: LaunchRequest
  watch: boolean
  /** The binary's and keystore's fingerprint when they were launched (see serviceFiles): a watch relaunches when they differ from it. */
  files?: string
}

const fileSchema = z.object({ version: z.literal(1), request: launchRequestSchema, watch: z.boolean(), files: z.string().optional() })

const fileOf = (saved: SavedLaunch) => ({ version: 1, request: saved.request, watch: saved.watch, ...(saved.files ? { files: saved.files } : {}) })

export async function readSavedLaunch(name: string): Promise<SavedLaunch | undefined> {
  const file = instancePaths(name).savedLaunch
  const text = await readTextIfExists(file)
  if (text === undefined) return undefined
  const saved = parseJsonWith(text, fileSchema)
  // A request saved under another name is never launched under this one.
  if (!saved || saved.request.name !== name) throw new BpvmError('STATE_CORRUPT', `${file} is not a valid saved launch; launch the instance again to replace it`, { file })
  return { request: saved.request, watch: saved.watch, ...(saved.files ? { files: saved.files } : {}) }
}

/** The saved launch, or NO_SAVED_LAUNCH naming what to do instead. */
export async function requireSavedLaunch(name: string): Promise<SavedLaunch> {
  const saved = await readSavedLaunch(name)
  if (!saved) throw new BpvmError('NO_SAVED_LAUNCH', `${name} has no saved launch (it was launched by an older bpvm): launch it again once, then it can be relaunched`, { name })
  return saved
}

export async function saveLaunch(name: string, saved: SavedLaunch): Promise<void> {
  const file = instancePaths(name).savedLaunch
  await withFileLock(`${file}.lock`, () => writeJsonAtomic(file, fileOf(saved)))
}

/** Changes a saved launch under its lock; NO_SAVED_LAUNCH (before any lock file is made) when there is none. */
async function updateSavedLaunch(name: string, change: (saved: SavedLaunch) => SavedLaunch): Promise<SavedLaunch> {
  await requireSavedLaunch(name)
  const file = instancePaths(name).savedLaunch
  return withFileLock(`${file}.lock`, async () => {
    const next = change(await requireSavedLaunch(name))
    await writeJsonAtomic(file, fileOf(next))
    return next
  })
}

/**
 * After a relaunch: the fingerprint of the files it launched, leaving the rest (a watch turned on
 * or off while the relaunch ran stays as it was set).
 */
export async function recordLaunchedFiles(name: string, files: string): Promise<void> {
  await updateSavedLaunch(name, (saved) => ({ ...saved, files }))
}

/** Turns watching on or off; answers the saved launch as it now is. */
export function setWatch(name: string, watch: boolean): Promise<SavedLaunch> {
  return updateSavedLaunch(name, (saved) => ({ ...saved, watch }))
}
