import { lstat } from 'node:fs/promises'
import { findProgram, versionLine } from '../../host/programProbe'
import { HELPER_READY_TIMEOUT_MS, VmmProcess } from '../vmmProcess'

/** rust-vmm's vhost-user vsock daemon: a VM's vsock device without the host's vhost_vsock module. */
export const VHOST_DEVICE_VSOCK = 'vhost-device-vsock'

/** How to get it where no distribution in use packages it. */
export const VHOST_DEVICE_VSOCK_HINT = 'install it with scripts/get-vhost-device-vsock.sh (Debian sid\'s package, unpacked to /opt; its binary runs on bookworm)'

export async function findVhostDeviceVsock(): Promise<{ path: string; version?: string } | undefined> {
  const path = await findProgram(VHOST_DEVICE_VSOCK)
  if (!path) return undefined
  const version = await versionLine(path, ['--version'])
  return { path, ...(version === undefined ? {} : { version }) }
}

export interface VsockDaemonRequest {
  program: string
  cid: number
  /** The vhost-user socket QEMU connects to. */
  socket: string
  /** The host side: guest connections to port P arrive on `<udsPath>_P`. */
  udsPath: string
  logPath: string
}

/**
 * Starts one VM's vsock daemon, detached like the VMM. Ready once its vhost-user socket exists:
 * connecting to probe it would take the one front-end slot QEMU needs.
 */
export function startVsockDaemon(request: VsockDaemonRequest): Promise<VmmProcess> {
  return VmmProcess.start({
    program: request.program,
    args: ['--guest-cid', String(request.cid), '--socket', request.socket, '--uds-path', request.udsPath],
    stdoutPath: request.logPath,
    stderrPath: request.logPath,
    socketPath: request.socket,
    isReady: async () => (await lstat(request.socket).catch(() => undefined))?.isSocket() === true,
    readyTimeoutMs: HELPER_READY_TIMEOUT_MS
  })
}
