import { execFileSync } from 'node:child_process'
import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkBridgePaths, decideBridgeTransport } from '../../src/main/runtime/instance/instanceBridge'
import { instancePaths } from '../../src/main/runtime/instance/instanceRecord'
import { useTempDirs } from '../support/tempDirs'

const caught = async (work: Promise<unknown> | (() => unknown)): Promise<{ code?: string; message: string; details?: Record<string, unknown> }> => {
  try {
    await (typeof work === 'function' ? work() : work)
  } catch (error) {
    return error as { code?: string; message: string }
  }
  throw new Error('expected a failure')
}

describe('how a guest reaches its bridge', () => {
  const tempDir = useTempDirs()
  const path = process.env.PATH
  afterEach(() => {
    process.env.PATH = path
  })
  /** A PATH with only `dir` (the sbin directories are searched too, and hold no vhost-device-vsock). */
  const onlyPath = (dir: string): void => {
    process.env.PATH = dir
  }

  it('cloud-hypervisor: its own hybrid vsock; the relay when asked for', async () => {
    expect(await decideBridgeTransport('cloud-hypervisor')).toMatchObject({ transport: 'vsock' })
    expect(await decideBridgeTransport('cloud-hypervisor', 'relay')).toMatchObject({ transport: 'relay' })
  })

  it('QEMU with vhost-device-vsock: vsock through the daemon', async () => {
    const bin = await tempDir()
    await writeFile(join(bin, 'vhost-device-vsock'), '#!/bin/sh\necho "vhost-device-vsock 9.9.9"\n', { mode: 0o755 })
    onlyPath(bin)
    expect(await decideBridgeTransport('qemu', 'auto')).toMatchObject({ transport: 'vhost-user-vsock', daemon: join(bin, 'vhost-device-vsock'), reason: expect.stringContaining('vhost-device-vsock 9.9.9') })
    expect(await decideBridgeTransport('qemu', 'vsock')).toMatchObject({ transport: 'vhost-user-vsock' })
  })

  it('QEMU without any vsock: the relay (every image has one), and vsock refused naming what to install', async () => {
    onlyPath(await tempDir())
    const noDevice = { vhostVsockDevice: '/nonexistent/vhost-vsock' }
    expect(await decideBridgeTransport('qemu', 'auto', noDevice)).toMatchObject({ transport: 'relay', reason: expect.stringContaining('relay') })
    expect(await caught(decideBridgeTransport('qemu', 'vsock', noDevice))).toMatchObject({ code: 'PROGRAM_NOT_FOUND', message: expect.stringMatching(/^bridge: .*get-vhost-device-vsock\.sh.*vhost_vsock module/) })
  })

  it('QEMU with /dev/vhost-vsock and socat (no vhost-device-vsock): the host-wide vsock listener; vsock without socat names it', async (context) => {
    const socat = execFileSync('sh', ['-c', 'command -v socat || true'], { encoding: 'utf8' }).trim()
    if (!socat) {
      if (process.env.CI) throw new Error('CI is missing socat')
      return context.skip()
    }
    const bin = await tempDir()
    await symlink(socat, join(bin, 'socat'))
    const device = join(bin, 'vhost-vsock')
    await writeFile(device, '')
    onlyPath(bin)
    expect(await decideBridgeTransport('qemu', 'auto', { vhostVsockDevice: device })).toMatchObject({ transport: 'vhost-vsock', reason: expect.stringMatching(/socat version 1\.\d.* listens on the host's vsock port 8000/) })
    expect(await decideBridgeTransport('qemu', 'vsock', { vhostVsockDevice: device })).toMatchObject({ transport: 'vhost-vsock' })
    // Without the device socat does not help; with the device but no socat, vsock is refused naming socat.
    expect(await decideBridgeTransport('qemu', 'auto', { vhostVsockDevice: join(bin, 'absent') })).toMatchObject({ transport: 'relay' })
    onlyPath(await tempDir())
    expect(await caught(decideBridgeTransport('qemu', 'vsock', { vhostVsockDevice: device }))).toMatchObject({ code: 'PROGRAM_NOT_FOUND', message: expect.stringContaining('apt install socat'), details: { program: 'socat' } })
    expect(await decideBridgeTransport('qemu', 'auto', { vhostVsockDevice: device })).toMatchObject({ transport: 'relay' })
  })

  it('takes the relay when asked for, and refuses an unknown choice naming the field', async () => {
    expect(await decideBridgeTransport('qemu', 'relay')).toMatchObject({ transport: 'relay' })
    expect(await caught(decideBridgeTransport('qemu', 'pigeon' as 'auto'))).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'bridge' } })
  })

  it('checks every socket the bridge and the daemon will bind against sun_path before anything is made', () => {
    const long = instancePaths('x', { state: `/${'d'.repeat(80)}`, data: '/data', cache: '/cache', config: '/config' } as never)
    expect(() => checkBridgePaths(long, { transport: 'vhost-user-vsock', reason: '' })).toThrow(expect.objectContaining({ code: 'SOCKET_PATH_TOO_LONG' }))
    expect(() => checkBridgePaths(long, { transport: 'none', reason: '' })).not.toThrow()
    const short = instancePaths('x', { state: '/s', data: '/data', cache: '/cache', config: '/config' } as never)
    expect(() => checkBridgePaths(short, { transport: 'vhost-user-vsock', reason: '' })).not.toThrow()
  })
})
