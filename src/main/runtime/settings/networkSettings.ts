import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { appDirs } from '../appDirs'
import { BpvmError } from '../../../shared/errors'
import { resolveEgress } from '../net/hostNetwork'
import { HOST_NET, type NetContext } from '../net/netContext'
import { DEFAULT_POOL, parsePool } from '../net/subnetPool'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { parseJsonWith } from '../state/parseJson'
import { withFileLock } from '../state/fileLock'

/** How VMs reach the network; kept in `<state>/network.json`, shared by the app and the CLI. */
export interface NetworkSettings {
  /** Where each VM's /30 comes from. */
  pool: string
  /** The interface VM traffic leaves by; absent means the default route's. */
  egressInterface?: string
}

export interface NetworkSettingsPatch {
  pool?: string
  /** `null` goes back to the default route's interface. */
  egressInterface?: string | null
}

const DEFAULTS: NetworkSettings = { pool: DEFAULT_POOL }
const fileSchema = z.object({ pool: z.string(), egressInterface: z.string().optional() })

const settingsFile = (stateDir: string): string => join(stateDir, 'network.json')

export async function readNetworkSettings(stateDir = appDirs().state): Promise<NetworkSettings> {
  const file = settingsFile(stateDir)
  const text = await readTextIfExists(file)
  if (text === undefined) return { ...DEFAULTS }
  const saved = parseJsonWith(text, fileSchema)
  if (!saved) throw new BpvmError('STATE_CORRUPT', `${file} is not valid network settings; fix or delete it`, { file })
  // Checked as when it was set: a file edited by hand gets the same rules as `bpvm net config`.
  try {
    parsePool(saved.pool, 'network pool')
  } catch (error) {
    throw new BpvmError('STATE_CORRUPT', `${file}: ${(error as Error).message}; fix or delete it`, { file })
  }
  if (saved.egressInterface !== undefined && !/^[^/:*\s\0]{1,15}$/.test(saved.egressInterface)) {
    throw new BpvmError('STATE_CORRUPT', `${file}: egress interface ${JSON.stringify(saved.egressInterface)} is not an interface name; fix or delete it`, { file })
  }
  return saved.egressInterface === undefined ? { pool: saved.pool } : { pool: saved.pool, egressInterface: saved.egressInterface }
}

/**
 * Changes the network settings. Each value is checked here, when it is set: a pool must be a
 * valid network with room for a /30, an egress interface must exist. Nothing is written on error.
 */
export async function updateNetworkSettings(
  patch: NetworkSettingsPatch,
  { stateDir = appDirs().state, net = HOST_NET }: { stateDir?: string; net?: NetContext } = {}
): Promise<NetworkSettings> {
  if (patch.pool !== undefined) parsePool(patch.pool, 'network pool')
  if (typeof patch.egressInterface === 'string') await resolveEgress(net, patch.egressInterface)
  const file = settingsFile(stateDir)
  await mkdir(stateDir, { recursive: true, mode: 0o700 })
  return withFileLock(`${file}.lock`, async () => {
    const next = { ...(await readNetworkSettings(stateDir)) }
    if (patch.pool !== undefined) next.pool = patch.pool
    if (patch.egressInterface === null) delete next.egressInterface
    else if (patch.egressInterface !== undefined) next.egressInterface = patch.egressInterface
    await writeJsonAtomic(file, next)
    return next
  })
}
