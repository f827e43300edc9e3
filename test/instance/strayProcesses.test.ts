import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { appDirs } from '../../src/main/runtime/appDirs'
import { instancePaths, writeInstance, type InstanceRecord } from '../../src/main/runtime/instance/instanceRecord'
import { instanceOfProcess, stopStrayProcesses } from '../../src/main/runtime/instance/strayProcesses'
import { withFileLock } from '../../src/main/runtime/state/fileLock'
import { isProcessAlive, processStartTime } from '../../src/main/runtime/state/processIdentity'
import { useTempDirs } from '../support/tempDirs'

const qmp = (path: string): string => `unix:${path},server=on,wait=off`

describe("reconcile's stray-process scan", () => {
  const dir = '/home/u/.local/state/bpvm/instances'

  it('knows a VMM, bridge or vsock daemon by its executable and the exact argument naming the instance', () => {
    expect(instanceOfProcess(['/usr/bin/qemu-system-x86_64', '-name', 'guest=a', '-qmp', qmp(`${dir}/svc/vmm.sock`), '-no-reboot'], dir)).toBe('svc')
    expect(instanceOfProcess(['qemu-system-x86_64', '-qmp', qmp(`${dir}/svc/vmm.sock`)], dir)).toBe('svc')
    expect(instanceOfProcess(['/opt/ch/cloud-hypervisor', '--api-socket', `path=${dir}/svc/vmm.sock`], dir)).toBe('svc')
    expect(instanceOfProcess(['/usr/local/bin/vhost-device-vsock', '--guest-cid', '4', '--socket', `${dir}/svc/vsock-daemon.sock`, '--uds-path', `${dir}/svc/vsock.sock`], dir)).toBe('svc')
    expect(instanceOfProcess(['/usr/bin/node', '/app/out/main/bridge.js', '--dir', `${dir}/svc`], dir)).toBe('svc')
  })

  it('leaves alone any program that merely mentions QEMU and such a path, or names another place', () => {
    expect(instanceOfProcess(['sh', '-c', 'sleep 60', 'qemu-system-x86_64', qmp(`${dir}/svc/vmm.sock`)], dir)).toBeUndefined()
    expect(instanceOfProcess(['vim', `${dir}/svc/vmm.sock`, 'cloud-hypervisor'], dir)).toBeUndefined()
    expect(instanceOfProcess(['qemu-system-x86_64', '-qmp', qmp('/elsewhere/svc/vmm.sock')], dir)).toBeUndefined()
    expect(instanceOfProcess(['qemu-system-x86_64', '-qmp', qmp(`${dir}/../x/vmm.sock`)], dir)).toBeUndefined()
    expect(instanceOfProcess(['qemu-system-x86_64', '-monitor', qmp(`${dir}/svc/vmm.sock`)], dir)).toBeUndefined()
    expect(instanceOfProcess(['cloud-hypervisor', '--api-socket', `path=${dir}/svc/other.sock`], dir)).toBeUndefined()
  })

  describe('on real processes', () => {
    const tempDir = useTempDirs()
    const children: ChildProcess[] = []
    afterEach(() => {
      for (const child of children.splice(0)) child.kill('SIGKILL')
    })
    const instances = join(appDirs().state, 'instances')
    /** A process whose command line is exactly `argv` (Node under the name argv[0]), idle until killed. */
    const runAs = async (argv: string[]): Promise<{ pid: number; startTime: string }> => {
      const child = spawn(argv[0] as string, ['-e', 'setInterval(() => {}, 1000)', '--', ...argv.slice(1)], { stdio: 'ignore' })
      children.push(child)
      await new Promise((resolve) => child.once('spawn', resolve))
      return { pid: child.pid as number, startTime: (await processStartTime(child.pid as number)) ?? '' }
    }

    it('stops a stray VMM, never a bystander, an instance whose launch holds its lock, or one whose record now runs', async () => {
      const bin = await tempDir()
      const fakeQemu = join(bin, 'qemu-system-x86_64')
      await symlink(process.execPath, fakeQemu)
      const stray = await runAs([fakeQemu, '-qmp', qmp(`${instances}/stray-one/vmm.sock`)])
      const bystander = await runAs([process.execPath, 'qemu-system-x86_64', qmp(`${instances}/stray-one/vmm.sock`)])
      const launching = await runAs([fakeQemu, '-qmp', qmp(`${instances}/launching-one/vmm.sock`)])
      const arrived = await runAs([fakeQemu, '-qmp', qmp(`${instances}/arrived-one/vmm.sock`)])
      await mkdir(instancePaths('launching-one').state, { recursive: true })
      const now = new Date().toISOString()
      await writeInstance({
        version: 1, name: 'arrived-one', vmm: 'qemu', image: 'dev', accel: 'tcg', limits: { memoryBytes: 1, vcpus: 1, storageBytes: 1 },
        net: { id: 9, tap: 'tap-tngl-9', subnet: '172.30.0.36/30', hostAddress: '172.30.0.37', guestAddress: '172.30.0.38', prefix: 30, egress: 'eth0' },
        phase: 'launching', createdAt: now, updatedAt: now
      } as InstanceRecord)

      // As another command's reconcile would, with a list of live instances read before the launches got far.
      const stopped = await withFileLock(instancePaths('launching-one').launchLock, () => stopStrayProcesses(new Set()))
      expect(stopped).toContain(stray.pid)
      expect(await isProcessAlive(stray)).toBe(false)
      for (const kept of [bystander, launching, arrived]) {
        expect(stopped).not.toContain(kept.pid)
        expect(await isProcessAlive(kept)).toBe(true)
      }
    }, 30_000)
  })
})
