import { realpath, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { buildFatImage, type BuildFatOptions } from './fat/buildFatImage'
import { MAX_FILE_BYTES } from './fat/fatLimits'
import type { FatBuildReport, FatNode } from './fat/fatTypes'
import { readHostTree } from './fat/hostTree'
import { SERVICE_DISK_LABEL } from './guestLayout'
import { launchScript } from './launchScript'
import { checkOutputFile } from './outputPath'
import { serviceArguments, serviceEnvironment, type ServiceArgsInput, type ServiceEnvInput } from './serviceEnv'

export interface ServiceDiskRequest {
  /** The blueprint's executable; becomes `/service`. */
  binary: string
  /** Keystore directory, copied as it is to `/keystore/`; an empty one is made when omitted. */
  keystore?: string
  env: ServiceEnvInput
  args: ServiceArgsInput
  /** Image to write. */
  out: string
  /** Replace an existing file at `out` (`--force`). */
  replace?: boolean
}

/**
 * Builds the read-only FAT32 disk (label SERVICEDISK) the guest mounts at /srv: the service
 * binary, the `/launch` script that starts it, and the keystore. Every input is checked
 * before anything is written; a failed build leaves no image behind.
 */
export async function buildServiceDisk(request: ServiceDiskRequest, options: BuildFatOptions = {}): Promise<FatBuildReport> {
  const script = launchScript(serviceEnvironment(request.env), serviceArguments(request.args))
  const binary = await checkBinary(request.binary)
  const keystore = request.keystore === undefined ? [] : await readKeystore(request.keystore)
  const out = await checkOutputFile(request.out, 'out', { replace: request.replace === true })
  return buildFatImage(
    {
      label: SERVICE_DISK_LABEL,
      out,
      entries: [
        { kind: 'file', name: 'service', source: { path: binary } },
        { kind: 'file', name: 'launch', source: { bytes: new TextEncoder().encode(script) } },
        { kind: 'dir', name: 'keystore', children: keystore, ...(request.keystore === undefined ? {} : { hostPath: resolve(request.keystore) }) }
      ]
    },
    options
  )
}

/**
 * Every input of a service disk but where it goes, checked as a build would check it: a launch
 * asks this first, before it changes anything.
 */
export async function checkServiceInput(request: Omit<ServiceDiskRequest, 'out' | 'replace'>): Promise<void> {
  launchScript(serviceEnvironment(request.env), serviceArguments(request.args))
  await checkBinary(request.binary)
  if (request.keystore !== undefined) await readKeystore(request.keystore)
}

/** The binary's real path (a symlink to it is fine: the file itself is copied). */
async function checkBinary(binary: string): Promise<string> {
  if (typeof binary !== 'string' || binary === '') throw invalidInput('binary', 'is required')
  const info = await stat(binary).catch(() => undefined)
  if (!info) throw new BpvmError('SOURCE_NOT_FOUND', `binary: ${binary} does not exist`, { field: 'binary', path: binary })
  if (info.isDirectory()) throw invalidInput('binary', `${binary} is a directory, not the service's executable file`)
  if (!info.isFile()) throw invalidInput('binary', `${binary} is not a regular file`)
  if (info.size === 0) throw invalidInput('binary', `${binary} is empty (0 bytes): not a service's executable (a build still writing it?)`)
  checkFits('binary', binary, info.size)
  return realpath(binary)
}

async function readKeystore(dir: string): Promise<FatNode[]> {
  const info = await stat(dir).catch(() => undefined)
  if (info && !info.isDirectory()) throw invalidInput('keystore', `${dir} is not a directory`)
  const tree = await readHostTree(dir, 'keystore')
  await checkTreeFits(tree)
  return tree
}

// The FAT writer refuses these too, but only the caller knows which option the file came from.
async function checkTreeFits(nodes: readonly FatNode[]): Promise<void> {
  for (const node of nodes) {
    if (node.kind === 'dir') await checkTreeFits(node.children)
    else if ('path' in node.source) checkFits('keystore', node.source.path, (await stat(node.source.path)).size)
  }
}

function checkFits(field: string, path: string, size: number): void {
  if (size > MAX_FILE_BYTES) {
    throw new BpvmError('SOURCE_TOO_LARGE', `${field}: ${path} is ${size} bytes; a FAT32 disk holds files up to 4 GiB − 1 byte`, { field, path })
  }
}
