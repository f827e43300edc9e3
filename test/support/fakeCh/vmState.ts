import { existsSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'

/** What cloud-hypervisor keeps for its one VM: the config from vm.create, and the VM object once booted. */
export interface FakeVm {
  config: Record<string, unknown> & {
    payload?: { kernel?: string; initramfs?: string }
    disks?: Array<{ path?: string }>
    net?: Array<{ ip?: string; mask?: string }>
    vsock?: { socket?: string }
    serial?: { mode?: string; file?: string }
    console?: { mode?: string; socket?: string }
  }
  /** Built by vm.boot; kept even when boot fails after building it (the half-created state). */
  object?: { state: 'Created' | 'Running' | 'Paused'; vsock?: Server }
}

/** An API error as the server answers it: a JSON array, outermost error first. */
export interface Reply {
  status: number
  body?: string
  /** Runs once the answer has been written. */
  after?: () => void
  /** Close the connection instead of answering. */
  drop?: boolean
}

export const chain = (status: number, ...errors: string[]): Reply => ({ status, body: JSON.stringify(['Error from API', ...errors]) })

/** Boot-time validation the server does (config.rs), which vm.create does not. */
export function configProblem(config: FakeVm['config']): string | undefined {
  for (const net of config.net ?? []) {
    if ((net.ip === undefined) !== (net.mask === undefined)) return 'Invalid network configuration: ip and mask must be given together'
  }
  if (!config.payload?.kernel) return 'Error validating the VM configuration: MissingBootitem'
  const files = [config.payload.kernel, config.payload.initramfs, ...(config.disks ?? []).map((d) => d.path)]
  const missing = files.find((f) => f !== undefined && !existsSync(f))
  return missing ? `Cannot open file ${missing}: No such file or directory (os error 2)` : undefined
}

/** The hybrid vsock device binds its socket when built, and fails if the path exists (issue #1083). */
export function bindVsock(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    if (existsSync(path)) {
      reject(new Error('CreateVsockBackend(UnixBind(Os { code: 98, kind: AddrInUse, message: "Address in use" }))'))
      return
    }
    const server = createServer((connection) => connection.destroy())
    server.once('error', reject)
    server.listen(path, () => resolve(server))
  })
}

/** Dropping the device removes its socket (Node unlinks a Unix socket it listened on when closed). */
export function closeVsock(vm: FakeVm | undefined): void {
  vm?.object?.vsock?.close()
  if (vm?.object) vm.object.vsock = undefined
}

/** A virtio console in Socket mode: the VMM listens on the path and talks to whoever connects (the fake guest says nothing); `close` drops the device and its client. */
export function listenConsole(path: string): Promise<{ close: () => void }> {
  const clients = new Set<Socket>()
  return new Promise((resolve, reject) => {
    const server = createServer((connection) => {
      clients.add(connection)
      connection.on('error', () => undefined).on('close', () => clients.delete(connection))
    })
    server.once('error', reject)
    server.listen(path, () =>
      resolve({
        close: () => {
          server.close()
          for (const client of clients) client.destroy()
        }
      })
    )
  })
}
