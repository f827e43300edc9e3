import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { appDirs } from '../appDirs'
import { BpvmError, invalidInput } from '../../../shared/errors'
import { readTextIfExists, writeJsonAtomic } from '../state/atomicJson'
import { parseJsonWith } from '../state/parseJson'

/** What bpvm remembers of one instance, in `<state>/instances/<name>/instance.json`. */
const recordSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  vmm: z.enum(['qemu', 'cloud-hypervisor']),
  /** `dev`, `ubuntu`, `debian`, or the absolute path of a custom image directory. */
  image: z.string(),
  accel: z.enum(['auto', 'kvm', 'tcg']),
  limits: z.object({ memoryBytes: z.number(), vcpus: z.number(), storageBytes: z.number() }),
  net: z.object({ id: z.number(), tap: z.string(), subnet: z.string(), hostAddress: z.string(), guestAddress: z.string(), prefix: z.number(), egress: z.string() }),
  /** The VMM process, once started: found again by pid and start time after a restart. */
  process: z.object({ pid: z.number(), startTime: z.string() }).optional(),
  /** The process running the launch, while it does: a launch whose launcher died is undone by reconcile. */
  launcher: z.object({ pid: z.number(), startTime: z.string() }).optional(),
  /** `launching` until every step is done; `stopped` once torn down. */
  phase: z.enum(['launching', 'running', 'stopped']),
  /** The manager bridge: how the guest reaches it, its process, and QEMU's vsock daemon when there is one. */
  bridge: z
    .object({
      transport: z.enum(['vsock', 'vhost-user-vsock', 'vhost-vsock', 'relay', 'none']),
      process: z.object({ pid: z.number(), startTime: z.string() }).optional(),
      vsockDaemon: z.object({ pid: z.number(), startTime: z.string() }).optional()
    })
    .optional(),
  /** The console hub process, which shares the VM's interactive console among its viewers. */
  console: z.object({ process: z.object({ pid: z.number(), startTime: z.string() }) }).optional(),
  /** Ports of the host's loopback the guest reaches at its gateway address (nftables DNAT), and what asked for each. */
  loopbackForwards: z.array(z.object({ port: z.number(), for: z.array(z.string()) })).optional(),
  /** Docker installed at first boot (cloud images). */
  docker: z.boolean().optional(),
  /** Of the CIDATA documents this boot was given: a relaunch with the same ones may skip cloud-init. */
  cidataDigest: z.string().optional(),
  /** Set while the root disk holds a finished cloud-init run of these CIDATA documents (the boot was made without cloud-init). */
  cloudInitDone: z.string().optional(),
  outcome: z.object({ status: z.enum(['Finished', 'Error']), reason: z.string(), at: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string()
})

export type InstanceRecord = z.infer<typeof recordSchema>

const NAME = /^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$|^[a-z0-9]$/

/** Whether `name` is one an instance may have (and so safe as a directory name under ours). */
export const isInstanceName = (name: unknown): name is string => typeof name === 'string' && NAME.test(name)

export function checkInstanceName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidInput('name', `${JSON.stringify(name)} must be 1–32 characters of a–z, 0–9 and "-", not starting or ending with "-"`)
  }
  return name
}

/**
 * Where one instance's files live: its record, logs and control socket (state), its disks (data).
 * Every path bpvm builds from a name, stored or given, is built here, and only from a valid name:
 * `../x` can never lead outside our directories.
 */
export function instancePaths(name: string, dirs = appDirs()) {
  const state = join(dirs.state, 'instances', checkInstanceName(name))
  const logs = join(state, 'logs')
  return {
    state,
    record: join(state, 'instance.json'),
    logs,
    serialLog: join(logs, 'guest.log'),
    vmmStdout: join(logs, 'vmm.stdout.log'),
    vmmStderr: join(logs, 'vmm.stderr.log'),
    launchLog: join(logs, 'launch.log'),
    socket: join(state, 'vmm.sock'),
    /** Held for the whole of a launch: one launch per name at a time, and reconcile keeps its hands off. */
    launchLock: join(state, 'launch.lock'),
    /** Held while the instance is being stopped (teardown) or ended (its VMM found dead): one of them names the outcome. */
    stopLock: join(state, 'stop.lock'),
    /** The launch request it was last launched with (and whether its files are watched): what a relaunch launches again. */
    savedLaunch: join(state, 'launch.json'),
    /** Held by the one process watching its binary and keystore, for as long as it watches. */
    watchLock: join(state, 'watch.lock'),
    /** The guest's vsock on the host (cloud-hypervisor's, or the vsock daemon's): guest-initiated connections to port P arrive on `vsock.sock_<P>`. */
    vsock: join(state, 'vsock.sock'),
    /** QEMU's vhost-user vsock daemon: the socket QEMU connects to, and its log. */
    vsockDaemonSocket: join(state, 'vsock-daemon.sock'),
    vsockDaemonLog: join(logs, 'vsock-daemon.log'),
    /** The interactive console: the VMM's socket, QEMU's size port, and the hub viewers connect to (see console/). */
    consoleSocket: join(state, 'con.sock'),
    consoleSizeSocket: join(state, 'con-size.sock'),
    consoleHubSocket: join(state, 'con-hub.sock'),
    consoleHubLog: join(logs, 'console-hub.log'),
    /** The manager bridge's log (its sockets and state are in `state`, see bridge/bridgeFiles). */
    bridgeLog: join(logs, 'bridge.log'),
    disks: join(dirs.data, 'instances', name)
  }
}

export type InstancePaths = ReturnType<typeof instancePaths>

export async function readInstance(name: string): Promise<InstanceRecord | undefined> {
  const file = instancePaths(name).record
  const text = await readTextIfExists(file)
  if (text === undefined) return undefined
  const record = parseJsonWith(text, recordSchema)
  if (!record) throw new BpvmError('STATE_CORRUPT', `${file} is not a valid instance record; fix or delete it`, { file })
  // A record that names another instance (or a path) is never acted on: every path comes from its name.
  if (record.name !== name) throw new BpvmError('STATE_CORRUPT', `${file} names the instance ${JSON.stringify(record.name)}, not ${name}; fix or delete it`, { file })
  return record
}

export async function writeInstance(record: InstanceRecord): Promise<InstanceRecord> {
  const paths = instancePaths(record.name)
  await mkdir(paths.logs, { recursive: true, mode: 0o700 })
  const next = { ...record, updatedAt: new Date().toISOString() }
  await writeJsonAtomic(paths.record, next)
  return next
}

/** An instance directory whose record cannot be used: reported with its file, never acted on. */
export interface BrokenRecord {
  name: string
  file: string
  problem: string
}

/** Every instance's record, and apart from them the ones that are broken: one bad file never hides the others. */
export async function listInstanceRecords(): Promise<{ records: InstanceRecord[]; broken: BrokenRecord[] }> {
  const dir = join(appDirs().state, 'instances')
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => NAME.test(n)).sort()
  const records: InstanceRecord[] = []
  const broken: BrokenRecord[] = []
  for (const name of names) {
    try {
      const record = await readInstance(name)
      if (record) records.push(record)
    } catch (error) {
      broken.push({ name, file: instancePaths(name).record, problem: (error as Error).message })
    }
  }
  return { records, broken }
}

/** The records that can be used, by name; broken ones are left out (see listInstanceRecords). */
export async function listInstances(): Promise<InstanceRecord[]> {
  return (await listInstanceRecords()).records
}

/** Forgets an instance: its record and logs, and its disks. Only paths under our own directories. */
export async function purgeInstance(name: string): Promise<void> {
  const paths = instancePaths(checkInstanceName(name))
  await rm(paths.disks, { recursive: true, force: true })
  await rm(paths.state, { recursive: true, force: true })
}
