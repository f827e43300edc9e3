import { describe, expect, it } from 'vitest'
import { checkLaunchSpec, rewriteLoopbackUrl, type LaunchSpec } from '../../src/main/runtime/instance/launchSpec'

const spec: LaunchSpec = {
  name: 'svc',
  binary: '/bin/true',
  env: { httpRpcUrl: 'http://127.0.0.1:9944', wsRpcUrl: 'ws://127.0.0.1:9944', blueprintId: 1, serviceId: 1, protocol: 'tangle' },
  args: {}
}

describe('launch spec', () => {
  it('fills the defaults', () => {
    expect(checkLaunchSpec(spec)).toMatchObject({ memoryBytes: 512 * 2 ** 20, vcpus: 1, storageBytes: 2 ** 30, vmm: 'qemu', image: 'dev', accel: 'auto' })
  })

  it('refuses bad values, naming the field', () => {
    expect(() => checkLaunchSpec({ ...spec, name: 'Bad Name' })).toThrow(/^name: /)
    expect(() => checkLaunchSpec({ ...spec, name: '-x' })).toThrow(/^name: /)
    expect(() => checkLaunchSpec({ ...spec, memoryBytes: 100 })).toThrow(/^memory: /)
    expect(() => checkLaunchSpec({ ...spec, vcpus: 0 })).toThrow(/^cpus: /)
    expect(() => checkLaunchSpec({ ...spec, storageBytes: 1 })).toThrow(/^storage: /)
    expect(() => checkLaunchSpec({ ...spec, accel: 'fast' as 'tcg' })).toThrow(/^accel: /)
    expect(() => checkLaunchSpec({ ...spec, vmm: 'cloud-hypervisor' })).toThrow(/^vmm: .*cannot launch instances yet/)
    expect(() => checkLaunchSpec({ ...spec, image: 'ubuntu' })).toThrow(/^image: .*cannot launch instances yet/)
  })

  it('points loopback RPC URLs at the TAP address and leaves others alone', () => {
    expect(rewriteLoopbackUrl('http://127.0.0.1:9944', '172.30.0.1')).toBe('http://172.30.0.1:9944')
    expect(rewriteLoopbackUrl('ws://localhost:9944/ws', '172.30.0.5')).toBe('ws://172.30.0.5:9944/ws')
    expect(rewriteLoopbackUrl('http://127.1.2.3/', '172.30.0.1')).toBe('http://172.30.0.1/')
    expect(rewriteLoopbackUrl('https://rpc.example.org', '172.30.0.1')).toBe('https://rpc.example.org')
    expect(rewriteLoopbackUrl('not a url', '172.30.0.1')).toBe('not a url')
  })
})
