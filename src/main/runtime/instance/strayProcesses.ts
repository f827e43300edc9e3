import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { appDirs } from '../appDirs'
import { isBridgeCommandLine } from '../bridge/bridgeProcess'
import { processStartTime } from '../state/processIdentity'
import { VHOST_DEVICE_VSOCK } from '../vmm/qemu/vhostDeviceVsock'
import { stopDetachedVmm } from '../vmm/vmmProcess'
import { isInstanceName } from './instanceRecord'
import { isLaunchingOrRunning } from './launchingOrRunning'

/**
 * Processes bpvm starts beside a VM (the VMM, the bridge, the vsock daemon), recognised by their
 * executable and the exact argument that names the instance's file: never by a substring of
 * some argument, so another program that merely mentions such a path is never touched.
 */

const VMM_SOCKET_FILE = 'vmm.sock'
const VSOCK_DAEMON_SOCKET_FILE = 'vsock-daemon.sock'

/** The instance a file path names: `<instances>/<name>/<file>` exactly, or undefined. */
function instanceOfFile(path: string | undefined, instancesDir: string, file: string): string | undefined {
  if (path === undefined || !path.startsWith(`${instancesDir}/`) || !path.endsWith(`/${file}`)) return undefined
  const name = path.slice(instancesDir.length + 1, path.length - file.length - 1)
  return isInstanceName(name) ? name : undefined
}

/** QEMU's `-qmp unix:<path>,server=on,wait=off` (its option parser doubles commas inside the path). */
function qmpSocket(args: readonly string[]): string | undefined {
  const value = args[args.indexOf('-qmp') + 1]
  const match = value === undefined ? null : /^unix:((?:[^,]|,,)+),server=on,wait=off$/.exec(value)
  return match?.[1]?.replaceAll(',,', ',')
}

/** Which instance a process belongs to, from its command line (`/proc/<pid>/cmdline`). */
export function instanceOfProcess(cmdline: readonly string[], instancesDir: string): string | undefined {
  const program = basename(cmdline[0] ?? '')
  const bridge = isBridgeCommandLine(cmdline)
  if (bridge) return instanceOfFile(`${bridge.dir}/${VMM_SOCKET_FILE}`, instancesDir, VMM_SOCKET_FILE)
  if (program === VHOST_DEVICE_VSOCK) return instanceOfFile(cmdline[cmdline.indexOf('--socket') + 1], instancesDir, VSOCK_DAEMON_SOCKET_FILE)
  if (/^qemu-system-[a-z0-9_]+$/.test(program)) return instanceOfFile(qmpSocket(cmdline), instancesDir, VMM_SOCKET_FILE)
  if (program === 'cloud-hypervisor') {
    const socket = cmdline[cmdline.indexOf('--api-socket') + 1]
    return instanceOfFile(socket?.startsWith('path=') ? socket.slice('path='.length) : undefined, instancesDir, VMM_SOCKET_FILE)
  }
  return undefined
}

/**
 * Stops such processes of instances that are not live. Each is looked at again just before it
 * is stopped: an instance whose launch holds its lock, or whose record now says it runs (a
 * launch that got there after `live` was read), keeps its processes.
 */
export async function stopStrayProcesses(live: ReadonlySet<string>): Promise<number[]> {
  const instancesDir = join(appDirs().state, 'instances')
  const stopped: number[] = []
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0')
    const owner = instanceOfProcess(cmdline, instancesDir)
    if (owner === undefined || live.has(owner)) continue
    if (await isLaunchingOrRunning(owner)) continue
    const pid = Number(entry)
    const startTime = await processStartTime(pid)
    if (startTime === undefined) continue
    await stopDetachedVmm({ pid, startTime }, 2_000)
    stopped.push(pid)
  }
  return stopped
}
