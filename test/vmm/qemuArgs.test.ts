import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { qemuArgsFor, qemuOptionValue } from '../../src/main/runtime/vmm/qemu/qemuArgs'
import { resolveAccel, vhostVsockAvailable } from '../../src/main/runtime/vmm/qemu/qemuHost'
import type { VmmFiles } from '../../src/main/runtime/vmm/vmmDriver'
import { guestMac, type VmSpec } from '../../src/main/runtime/vmm/vmSpec'
import { useTempDirs } from '../support/tempDirs'

const dir = '/var/lib/bpvm/instances/a,b'

const spec: VmSpec = {
  name: 'svc,1',
  id: 7,
  memoryBytes: 512 * 1024 * 1024,
  vcpus: 3,
  kernel: `${dir}/vmlinuz`,
  initramfs: `${dir}/initrd`,
  cmdline: 'root=/dev/vda1 rw console=ttyS0,115200',
  disks: [
    { role: 'root', path: `${dir}/root.raw`, readonly: false, format: 'raw' },
    { role: 'cidata', path: `${dir}/cidata.img`, readonly: true, format: 'raw' },
    { role: 'data', path: `${dir}/data.qcow2`, readonly: false, format: 'qcow2' },
    { role: 'service', path: `${dir}/service.img`, readonly: true, format: 'raw' }
  ],
  serial: { mode: 'file', path: `${dir}/guest.log` },
  vsock: { cid: 10, socket: `${dir}/vsock.sock` },
  nic: { tap: 'tap-tngl-7', hostAddress: '172.30.0.1', prefix: 30, mac: guestMac(7) },
  runDir: dir
}

const files: VmmFiles = { socketPath: `${dir}/qmp.sock`, stdoutPath: `${dir}/qemu.stdout`, stderrPath: `${dir}/qemu.stderr` }

describe('QEMU command line', () => {
  it('maps a whole spec, escaping commas only where QEMU parses options', () => {
    expect(qemuArgsFor(spec, files, { accel: 'tcg' })).toEqual([
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-name',
      'guest=svc,,1',
      '-machine',
      'q35',
      '-accel',
      'tcg',
      '-cpu',
      'max',
      '-m',
      '512',
      '-smp',
      '3',
      // -kernel, -initrd and -append are taken verbatim: a doubled comma would be a wrong path.
      '-kernel',
      '/var/lib/bpvm/instances/a,b/vmlinuz',
      '-initrd',
      '/var/lib/bpvm/instances/a,b/initrd',
      '-append',
      'root=/dev/vda1 rw console=ttyS0,115200',
      '-drive',
      'file=/var/lib/bpvm/instances/a,,b/root.raw,if=none,id=disk-root,format=raw,readonly=off,cache=none',
      '-device',
      'virtio-blk-pci,drive=disk-root,serial=root',
      '-drive',
      'file=/var/lib/bpvm/instances/a,,b/cidata.img,if=none,id=disk-cidata,format=raw,readonly=on,cache=none',
      '-device',
      'virtio-blk-pci,drive=disk-cidata,serial=cidata',
      '-drive',
      'file=/var/lib/bpvm/instances/a,,b/data.qcow2,if=none,id=disk-data,format=qcow2,readonly=off,cache=none',
      '-device',
      'virtio-blk-pci,drive=disk-data,serial=data',
      '-drive',
      'file=/var/lib/bpvm/instances/a,,b/service.img,if=none,id=disk-service,format=raw,readonly=on,cache=none',
      '-device',
      'virtio-blk-pci,drive=disk-service,serial=service',
      '-chardev',
      'file,id=serial0,path=/var/lib/bpvm/instances/a,,b/guest.log,append=on',
      '-serial',
      'chardev:serial0',
      '-netdev',
      'tap,id=net0,ifname=tap-tngl-7,script=no,downscript=no',
      '-device',
      'virtio-net-pci,netdev=net0,mac=52:54:00:00:00:07,romfile=',
      '-qmp',
      'unix:/var/lib/bpvm/instances/a,,b/qmp.sock,server=on,wait=off',
      '-no-reboot'
    ])
  })

  it('keeps the disks in the spec order, whatever it is', () => {
    const reversed = { ...spec, disks: [...spec.disks].reverse() }
    const drives = qemuArgsFor(reversed, files, { accel: 'tcg' }).filter((a) => a.startsWith('virtio-blk-pci'))
    expect(drives.map((d) => /serial=(\w+)/.exec(d)?.[1])).toEqual(['service', 'data', 'cidata', 'root'])
  })

  it('uses the host CPU under KVM and writeback caching when asked', () => {
    const args = qemuArgsFor(spec, files, { accel: 'kvm', diskCache: 'writeback' })
    expect(args.slice(args.indexOf('-accel'), args.indexOf('-accel') + 4)).toEqual(['-accel', 'kvm', '-cpu', 'host'])
    expect(args.filter((a) => a.startsWith('file=')).every((a) => a.endsWith(',cache=writeback'))).toBe(true)
  })

  it('adds vhost-vsock with the CID only when the host has the device', () => {
    expect(qemuArgsFor(spec, files, { accel: 'tcg' }).join(' ')).not.toContain('vhost-vsock')
    const args = qemuArgsFor(spec, files, { accel: 'tcg', vhostVsock: true })
    expect(args[args.indexOf('vhost-vsock-pci,guest-cid=10') - 1]).toBe('-device')
  })

  it('leaves out the initramfs, the NIC and vsock when the spec has none, and can give the serial console a PTY', () => {
    const bare: VmSpec = { ...spec, initramfs: undefined, nic: undefined, vsock: undefined, serial: { mode: 'pty' } }
    const args = qemuArgsFor(bare, files, { accel: 'tcg', vhostVsock: true })
    expect(args).not.toContain('-initrd')
    expect(args).not.toContain('-netdev')
    expect(args.join(' ')).not.toContain('vsock')
    expect(args.slice(args.indexOf('-chardev'), args.indexOf('-chardev') + 4)).toEqual(['-chardev', 'pty,id=serial0', '-serial', 'chardev:serial0'])
  })

  it('takes only absolute paths, so no file name is read as a QEMU protocol', () => {
    const nbd = { ...spec, disks: [{ role: 'data' as const, path: 'nbd:evil.example:10809', readonly: false, format: 'raw' as const }] }
    expect(() => qemuArgsFor(nbd, files, { accel: 'tcg' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'disks.data' } }))
    expect(() => qemuArgsFor({ ...spec, kernel: 'vmlinuz' }, files, { accel: 'tcg' })).toThrow(/^kernel: must be an absolute path/)
  })

  it('escapes every comma', () => {
    expect(qemuOptionValue('a,b,,c')).toBe('a,,b,,,,c')
    expect(qemuOptionValue('plain')).toBe('plain')
  })
})

describe('accelerator and vsock device', () => {
  const tempDir = useTempDirs('bpvm-accel-')

  it('auto takes KVM when the device opens read-write, else TCG with the reason', async () => {
    const root = await tempDir()
    const device = join(root, 'kvm')
    await writeFile(device, '')
    expect(await resolveAccel('auto', device)).toEqual({ accel: 'kvm', reason: `KVM: ${device} opens read-write` })
    const missing = await resolveAccel('auto', join(root, 'no-kvm'))
    expect(missing.accel).toBe('tcg')
    expect(missing.reason).toMatch(/^TCG: .*no-kvm cannot be opened \(ENOENT\)/)
    // A directory never opens read-write, even for root.
    await mkdir(join(root, 'dir'))
    expect((await resolveAccel('auto', join(root, 'dir'))).reason).toContain('(EISDIR)')
  })

  it('kvm insists and fails with KVM_UNAVAILABLE; tcg never looks', async () => {
    const root = await tempDir()
    await expect(resolveAccel('kvm', join(root, 'no-kvm'))).rejects.toMatchObject({ code: 'KVM_UNAVAILABLE', details: { problem: 'ENOENT' } })
    expect(await resolveAccel('tcg', join(root, 'no-kvm'))).toEqual({ accel: 'tcg', reason: 'TCG: chosen in the settings' })
  })

  it('finds the vhost-vsock device only where it exists', async () => {
    const root = await tempDir()
    expect(await vhostVsockAvailable(join(root, 'vhost-vsock'))).toBe(false)
    await writeFile(join(root, 'vhost-vsock'), '')
    expect(await vhostVsockAvailable(join(root, 'vhost-vsock'))).toBe(true)
  })
})
