import { describe, expect, it } from 'vitest'
import { parseErrorChain } from '../../src/main/runtime/vmm/cloudHypervisor/apiErrors'
import { vmConfigFor } from '../../src/main/runtime/vmm/cloudHypervisor/vmConfig'
import type { VmSpec } from '../../src/main/runtime/vmm/vmSpec'

const spec: VmSpec = {
  name: 'web',
  id: 7,
  memoryBytes: 4 * 1024 ** 3,
  vcpus: 2,
  kernel: '/cache/vmlinuz',
  initramfs: '/cache/initrd',
  cmdline: 'root=/dev/vda1 rw console=ttyS0',
  disks: [
    { role: 'root', path: '/vm/root.qcow2', readonly: false, format: 'qcow2', hasBackingFile: true },
    { role: 'cidata', path: '/vm/cidata.img', readonly: true, format: 'raw' },
    { role: 'data', path: '/vm/data.qcow2', readonly: false, format: 'qcow2' },
    { role: 'service', path: '/vm/service.img', readonly: true, format: 'raw' }
  ],
  serial: { mode: 'file', path: '/vm/serial.log' },
  vsock: { cid: 10, socket: '/run/web/v.sock' },
  nic: { tap: 'tap-tngl-7', hostAddress: '172.30.0.25', prefix: 30, mac: '52:54:00:00:00:07' },
  runDir: '/run/web'
}

describe('vmConfigFor', () => {
  it('spells out the whole vm.create body, vCPUs applied', () => {
    expect(vmConfigFor(spec)).toStrictEqual({
      cpus: { boot_vcpus: 2, max_vcpus: 2 },
      memory: { size: 4294967296, shared: true },
      payload: { kernel: '/cache/vmlinuz', initramfs: '/cache/initrd', cmdline: 'root=/dev/vda1 rw console=ttyS0' },
      disks: [
        { path: '/vm/root.qcow2', readonly: false, direct: true, image_type: 'Qcow2', backing_files: true },
        { path: '/vm/cidata.img', readonly: true, direct: true, image_type: 'Raw' },
        { path: '/vm/data.qcow2', readonly: false, direct: true, image_type: 'Qcow2' },
        { path: '/vm/service.img', readonly: true, direct: true, image_type: 'Raw' }
      ],
      serial: { mode: 'File', file: '/vm/serial.log' },
      console: { mode: 'Off' },
      vsock: { cid: 10, socket: '/run/web/v.sock' },
      net: [{ tap: 'tap-tngl-7', ip: '172.30.0.25', mask: '255.255.255.252', mac: '52:54:00:00:00:07' }]
    })
  })

  it('uses a PTY when asked and leaves out what the spec does not have', () => {
    const config = vmConfigFor({ ...spec, serial: { mode: 'pty' }, vsock: undefined, nic: undefined, initramfs: undefined })
    expect(config.serial).toStrictEqual({ mode: 'Pty' })
    expect(config.payload).toStrictEqual({ kernel: '/cache/vmlinuz', cmdline: 'root=/dev/vda1 rw console=ttyS0' })
    expect(config).not.toHaveProperty('vsock')
    expect(config).not.toHaveProperty('net')
  })
})

describe('parseErrorChain', () => {
  it('reads the server error array, outermost first', () => {
    expect(parseErrorChain('["Error from API","The VM info is not available","VM is not created"]')).toEqual([
      'Error from API',
      'The VM info is not available',
      'VM is not created'
    ])
  })

  it("reads micro_http's framing error, which is not JSON (raw newline)", () => {
    const body = '{ "error": "Transfer-Encoding: chunked is not supported.\nAll previous unanswered requests will be dropped." }'
    expect(parseErrorChain(body)).toEqual(['Transfer-Encoding: chunked is not supported.', 'All previous unanswered requests will be dropped.'])
  })

  it('copes with empty and unexpected bodies', () => {
    expect(parseErrorChain('')).toEqual([])
    expect(parseErrorChain('{ "error": "Too many open connections" }')).toEqual(['Too many open connections'])
    expect(parseErrorChain('oops')).toEqual(['oops'])
  })
})
