import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterEach } from 'vitest'
import type { QemuVm } from '../../src/main/runtime/vmm/qemu/qemuVm'
import type { VmmFiles } from '../../src/main/runtime/vmm/vmmDriver'
import type { VmDisk, VmSpec } from '../../src/main/runtime/vmm/vmSpec'
import type { TinyGuest } from './qemuTinyGuest'

/** Programs the real-QEMU tests run, besides those that build the tiny guest. */
export const QEMU_TEST_PROGRAMS = ['qemu-system-x86_64', 'qemu-img', 'ip'] as const

/** Kills, after each test, every VM a test launched, so no QEMU outlives its test. */
export function useQemuVms(): (vm: QemuVm) => QemuVm {
  const launched: QemuVm[] = []
  afterEach(async () => {
    await Promise.all(launched.splice(0).map((vm) => vm.kill()))
  })
  return (vm) => {
    launched.push(vm)
    return vm
  }
}

/**
 * A VM of the tiny guest in `dir`: four 1 MiB disks in the reference's order, each starting
 * with `disk:<role>` (the data disk as qcow2), the kernel and initramfs linked into `dir`
 * so that their paths hold whatever `dir` holds (a comma).
 */
export async function tinyVm(dir: string, guest: TinyGuest, overrides: Partial<VmSpec> = {}): Promise<{ spec: VmSpec; files: VmmFiles }> {
  const roles: Array<[VmDisk['role'], boolean]> = [
    ['root', false],
    ['cidata', true],
    ['data', false],
    ['service', true]
  ]
  const disks: VmDisk[] = []
  for (const [role, readonly] of roles) {
    const raw = join(dir, `${role}.img`)
    const content = Buffer.alloc(1024 * 1024)
    content.write(`disk:${role}`)
    await writeFile(raw, content)
    if (role !== 'data') {
      disks.push({ role, path: raw, readonly, format: 'raw' })
      continue
    }
    const qcow2 = join(dir, 'data.qcow2')
    await execa('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, qcow2], { timeout: 30_000 })
    disks.push({ role, path: qcow2, readonly, format: 'qcow2' })
  }
  await symlink(guest.kernel, join(dir, 'vmlinuz'))
  await symlink(guest.initramfs, join(dir, 'initramfs'))
  const spec: VmSpec = {
    name: 'tiny',
    id: 7,
    memoryBytes: 256 * 1024 * 1024,
    vcpus: 2,
    kernel: join(dir, 'vmlinuz'),
    initramfs: join(dir, 'initramfs'),
    cmdline: 'console=ttyS0 panic=-1 no_timer_check tiny.disks=4',
    disks,
    serial: { mode: 'file', path: join(dir, 'guest.log') },
    runDir: dir,
    ...overrides
  }
  return { spec, files: { socketPath: join(dir, 'qmp.sock'), stdoutPath: join(dir, 'qemu.stdout'), stderrPath: join(dir, 'qemu.stderr') } }
}

/** QEMU processes whose command line mentions `text` (a test's own directory). */
export async function qemuProcessesMentioning(text: string): Promise<string[]> {
  const { stdout } = await execa('pgrep', ['-a', '-f', `qemu-system-x86_64 .*${text.replace(/[^\w/-]/g, '.')}`], { reject: false })
  return stdout.split('\n').filter((l) => l.trim() !== '')
}
