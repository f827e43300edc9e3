import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { appDirs } from '../appDirs'

/**
 * The mark a bpvm home puts on the TAPs it makes (their interface alias): two homes on one host
 * (another user's, a test run's) each clean up only their own leftovers, never the other's.
 */
export function ownerTag(stateDir: string = appDirs().state): string {
  return `bpvm:${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16)}`
}
