import { describe, expect, it } from 'vitest'
import { checkSocketPath, checkVmSpec, guestMac, prefixToMask, vsockCid, type VmSpec } from '../../src/main/runtime/vmm/vmSpec'

const spec: VmSpec = {
  name: 'vm-a',
  id: 1,
  memoryBytes: 512 * 1024 * 1024,
  vcpus: 2,
  kernel: '/k',
  cmdline: 'console=ttyS0',
  disks: [],
  serial: { mode: 'file', path: '/tmp/guest.log' },
  runDir: '/tmp'
}

describe('VM spec', () => {
  it('derives a stable locally administered MAC and the vsock CID from the VM id', () => {
    expect(guestMac(1)).toBe('52:54:00:00:00:01')
    expect(guestMac(999_999)).toBe('52:54:00:0f:42:3f')
    expect(vsockCid(1)).toBe(4)
  })

  it('turns a prefix length into a dotted netmask', () => {
    expect(prefixToMask(30)).toBe('255.255.255.252')
    expect(prefixToMask(24)).toBe('255.255.255.0')
    expect(prefixToMask(0)).toBe('0.0.0.0')
    expect(prefixToMask(32)).toBe('255.255.255.255')
  })

  it('refuses limits no VMM can run, naming the field', () => {
    expect(checkVmSpec(spec)).toBe(spec)
    expect(() => checkVmSpec({ ...spec, vcpus: 0 })).toThrow(/^vcpus: must be from 1 to 254/)
    expect(() => checkVmSpec({ ...spec, memoryBytes: 64 * 1024 * 1024 })).toThrow(/^memory: must be at least 128 MiB/)
    expect(() => checkVmSpec({ ...spec, memoryBytes: 512 * 1024 * 1024 + 1 })).toThrow(/^memory: must be a whole number of MiB/)
  })

  it('checks socket paths against the 107-byte limit, the vsock port suffix included', () => {
    expect(() => checkSocketPath('api socket', `/${'a'.repeat(106)}`)).not.toThrow()
    expect(() => checkSocketPath('api socket', `/${'a'.repeat(107)}`)).toThrow(/107/)
    const vsock = `/${'v'.repeat(100)}`
    expect(() => checkVmSpec({ ...spec, vsock: { cid: 4, socket: vsock } })).toThrow(/with its port suffix/)
  })
})
