import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect } from 'vitest'
import { cloudHypervisorDriver, type CloudHypervisorOptions } from '../../src/main/runtime/vmm/cloudHypervisor/driver'
import type { VmmDriver, VmmFiles } from '../../src/main/runtime/vmm/vmmDriver'
import type { VmSpec } from '../../src/main/runtime/vmm/vmSpec'
import { CH_SPEC_PATH, hasChSpec } from './fakeCh/specPath'

/** Drives the real cloud-hypervisor driver against fakeCloudHypervisor.ts, run as its VMM program. */

export const FAKE_CH = fileURLToPath(new URL('./fakeCloudHypervisor.ts', import.meta.url))

/** `describe` for contract tests: they need cloud-hypervisor's OpenAPI yaml beside the repository. */
export function describeWithChSpec(name: string, body: () => void): void {
  if (hasChSpec()) return void describe(name, body)
  describe.skip(`${name} (skipped: no cloud-hypervisor contract at ${CH_SPEC_PATH})`, body)
  console.warn(`skipping "${name}": no cloud-hypervisor contract at ${CH_SPEC_PATH}`)
}

export const fakeArgs = (flags: string[] = []): string[] => ['--import', 'tsx', FAKE_CH, ...flags]

export function fakeDriver(flags: string[] = [], options: CloudHypervisorOptions = {}): VmmDriver {
  return cloudHypervisorDriver({
    program: process.execPath,
    argsPrefix: fakeArgs(flags),
    readyTimeoutMs: 20_000,
    killGraceMs: 1_000,
    shutdownTimeoutMs: 5_000,
    ...options
  })
}

/** A RunningVm or a VmmProcess: killed after the test if it still runs. */
type Killable = { kill(): Promise<unknown> }

export interface SeenRequest {
  method: string
  url: string
  contentLength?: string
  transferEncoding?: string
  body?: string
  openConnections: number
}

/**
 * Short directories under /tmp (socket paths hold 107 bytes), each checked after its test: no
 * contract violation logged by a fake that ran there, and no VMM of it still running or unreaped.
 * A test that provokes violations on purpose lists its directory in `expectViolations`.
 */
export function useChDirs(): { dir: () => Promise<string>; track: <T extends Killable>(vm: T) => T; expectViolations: (dir: string) => void } {
  const dirs: string[] = []
  const vms: Killable[] = []
  const allowed = new Set<string>()
  afterEach(async () => {
    await Promise.all(vms.splice(0).map((vm) => vm.kill()))
    const checked = dirs.splice(0)
    try {
      for (const dir of checked) {
        const files = filesIn(dir)
        if (!allowed.has(dir)) expect(await violations(files), `contract violations logged in ${dir}`).toEqual([])
        for (const pid of await fakePids(files)) expect(existsSync(`/proc/${pid}`), `fake VMM ${pid} is gone and reaped`).toBe(false)
      }
    } finally {
      allowed.clear()
      await Promise.all(checked.map((dir) => rm(dir, { recursive: true, force: true })))
    }
  })
  return {
    dir: async () => {
      const dir = await mkdtemp('/tmp/ch-')
      dirs.push(dir)
      return dir
    },
    track: (vm) => (vms.push(vm), vm),
    expectViolations: (dir) => void allowed.add(dir)
  }
}

export const filesIn = (dir: string): VmmFiles => ({
  socketPath: join(dir, 'api.sock'),
  stdoutPath: join(dir, 'vmm.out'),
  stderrPath: join(dir, 'vmm.err')
})

/** A VM spec whose files exist (the fake checks them at boot as cloud-hypervisor does). */
export async function specIn(dir: string, id = 1): Promise<VmSpec> {
  const file = async (name: string): Promise<string> => {
    await writeFile(join(dir, name), '')
    return join(dir, name)
  }
  return {
    name: 'web',
    id,
    memoryBytes: 1024 * 1024 * 1024,
    vcpus: 2,
    kernel: await file('vmlinuz'),
    initramfs: await file('initrd'),
    cmdline: 'root=/dev/vda1 rw console=ttyS0',
    disks: [
      { role: 'root', path: await file('root.qcow2'), readonly: false, format: 'qcow2', hasBackingFile: true },
      { role: 'cidata', path: await file('cidata.img'), readonly: true, format: 'raw' },
      { role: 'data', path: await file('data.qcow2'), readonly: false, format: 'qcow2' },
      { role: 'service', path: await file('service.img'), readonly: true, format: 'raw' }
    ],
    serial: { mode: 'file', path: join(dir, 'serial.log') },
    vsock: { cid: id + 3, socket: join(dir, 'v.sock') },
    nic: { tap: `tap-tngl-${id}`, hostAddress: '172.30.0.1', prefix: 30, mac: '52:54:00:00:00:01' },
    runDir: dir
  }
}

const lines = async (path: string): Promise<string[]> => (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '')

/** Every request the fake received, in order, as it saw them on the wire. */
export async function requestsSeen(files: VmmFiles): Promise<SeenRequest[]> {
  return (await lines(files.stdoutPath)).map((l) => JSON.parse(l) as SeenRequest | { pid: number }).filter((r): r is SeenRequest => 'url' in r)
}

export const endpointsSeen = async (files: VmmFiles): Promise<string[]> => (await requestsSeen(files)).map((r) => `${r.method} ${r.url.replace('/api/v1/', '')}`)

export async function fakePids(files: VmmFiles): Promise<number[]> {
  return (await lines(files.stdoutPath)).map((l) => JSON.parse(l) as { pid?: number }).flatMap((r) => (r.pid ? [r.pid] : []))
}

export async function violations(files: VmmFiles): Promise<string[]> {
  return (await lines(files.stderrPath)).filter((l) => l.startsWith('CONTRACT VIOLATION'))
}

export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A request written by hand, for what the driver must never send (wrong framing, stray bodies). */
export function rawRequest(socketPath: string, method: string, endpoint: string, body?: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path: `/api/v1/${endpoint}`, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}
