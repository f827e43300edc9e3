import { describe, expect, it } from 'vitest'
import { checkLaunchSpec, rewriteLoopbackUrl, type LaunchDefaults, type LaunchSpec } from '../../src/main/runtime/instance/launchSpec'

const spec: LaunchSpec = {
  name: 'svc',
  binary: '/bin/true',
  env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 1, protocol: 'tangle' },
  args: {}
}

const defaults: LaunchDefaults = { vmm: 'qemu', image: 'ubuntu', accel: 'auto' }
const check = (overrides: Partial<LaunchSpec>) => checkLaunchSpec({ ...spec, ...overrides }, defaults)

describe('launch spec', () => {
  it('fills the defaults, from the settings where the user chose nothing', () => {
    expect(checkLaunchSpec(spec, defaults)).toMatchObject({ memoryBytes: 512 * 2 ** 20, vcpus: 1, storageBytes: 2 ** 30, vmm: 'qemu', image: 'ubuntu', accel: 'auto' })
    expect(checkLaunchSpec(spec, { vmm: 'cloud-hypervisor', image: 'dev', accel: 'kvm' })).toMatchObject({ vmm: 'cloud-hypervisor', image: 'dev', accel: 'kvm' })
    expect(check({ vmm: 'auto' })).toMatchObject({ vmm: 'qemu' })
  })

  it('takes the named images, and a custom image as an absolute or ./ path', () => {
    expect(check({ image: 'dev' }).image).toBe('dev')
    expect(check({ image: '/srv/images/mine' }).image).toEqual({ dir: '/srv/images/mine' })
    expect(check({ image: './mine' }).image).toEqual({ dir: `${process.cwd()}/mine` })
    expect(check({ image: 'debian' }).image).toBe('debian')
    expect(() => check({ image: 'alpine' })).toThrow(/^image: "alpine" is not ubuntu, debian or dev/)
    expect(() => check({ image: ' ' })).toThrow(/^image: /)
  })

  it('installs Docker only when asked, and never in the dev guest', () => {
    expect(check({ image: 'debian' }).docker).toBe(false)
    expect(check({ image: 'debian', docker: true }).docker).toBe(true)
    expect(() => check({ image: 'dev', docker: true })).toThrow(/^docker: the dev guest has no package manager/)
  })

  it('refuses cloud-hypervisor with software emulation', () => {
    expect(() => check({ vmm: 'cloud-hypervisor', accel: 'tcg' })).toThrow(/^accel: cloud-hypervisor runs on KVM only/)
  })

  it('refuses bad values, naming the field', () => {
    expect(() => check({ name: 'Bad Name' })).toThrow(/^name: /)
    expect(() => check({ name: '-x' })).toThrow(/^name: /)
    expect(() => check({ memoryBytes: 100 })).toThrow(/^memoryBytes: /)
    expect(() => check({ vcpus: 0 })).toThrow(/^vcpus: /)
    expect(() => check({ storageBytes: 1 })).toThrow(/^storageBytes: /)
    expect(() => check({ accel: 'fast' as 'tcg' })).toThrow(/^accel: /)
    expect(() => check({ vmm: 'firecracker' })).toThrow(/^vmm: must be auto, cloud-hypervisor or qemu/)
    expect(() => check({ guestGraceSeconds: -1 })).toThrow(/^guestGraceSeconds: /)
  })

  it('points loopback RPC URLs at the TAP address and leaves others alone', () => {
    expect(rewriteLoopbackUrl('http://127.0.0.1:9944', '172.30.0.1')).toBe('http://172.30.0.1:9944')
    expect(rewriteLoopbackUrl('ws://localhost:9944/ws', '172.30.0.5')).toBe('ws://172.30.0.5:9944/ws')
    expect(rewriteLoopbackUrl('http://127.1.2.3/', '172.30.0.1')).toBe('http://172.30.0.1/')
    expect(rewriteLoopbackUrl('https://rpc.example.org', '172.30.0.1')).toBe('https://rpc.example.org')
    expect(rewriteLoopbackUrl('not a url', '172.30.0.1')).toBe('not a url')
  })
})
