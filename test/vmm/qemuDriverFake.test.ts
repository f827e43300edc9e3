import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import { qemuDriver, type QemuDriverOptions } from '../../src/main/runtime/vmm/qemu/qemuDriver'
import type { QemuVm } from '../../src/main/runtime/vmm/qemu/qemuVm'
import type { VmmFiles } from '../../src/main/runtime/vmm/vmmDriver'
import type { VmSpec } from '../../src/main/runtime/vmm/vmSpec'
import { useTempDirs } from '../support/tempDirs'
import { useQemuVms } from './qemuTestVm'

const FAKE = fileURLToPath(new URL('./qemuFake.mjs', import.meta.url))
const STOP_CHILD = fileURLToPath(new URL('./qemuStopChild.ts', import.meta.url))

describe('QEMU driver against a stand-in QEMU', () => {
  const tempDir = useTempDirs('bpvm-qemu,fake-')
  const track = useQemuVms()

  async function launch(mode: string, options: QemuDriverOptions = {}): Promise<QemuVm> {
    const dir = await tempDir()
    const spec: VmSpec = {
      name: 'fake',
      id: 1,
      memoryBytes: 128 * 1024 * 1024,
      vcpus: 1,
      kernel: join(dir, 'vmlinuz'),
      cmdline: 'console=ttyS0',
      disks: [],
      serial: { mode: 'file', path: join(dir, 'guest.log') },
      runDir: dir
    }
    const files: VmmFiles = { socketPath: join(dir, 'qmp.sock'), stdoutPath: join(dir, 'qemu.stdout'), stderrPath: join(dir, 'qemu.stderr') }
    return track(await qemuDriver({ program: process.execPath, argsPrefix: [FAKE, mode], accel: 'tcg', ...options }).launch(spec, files))
  }

  it('turns a QEMU that dies during the QMP handshake into VMM_EXITED with its stderr, leaving nothing running', async () => {
    const error = await launch('die-on-capabilities').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'VMM_EXITED', details: { code: 1, signal: null, command: 'qmp_capabilities' } })
    expect((error as Error).message).toMatch(/exited with code 1 while its QMP session was being set up: qemu-system-x86_64: error: failed to set MSR/)
  })

  it('waits past five seconds for a QEMU slow to answer its first command, as one starting on a busy host is', async () => {
    const vm = await launch('slow-capabilities-6000')
    expect(await vm.state()).toBe('paused')
  }, 20_000)

  it('gives up on a QEMU that does not answer within the set-up time, naming the command and the time, leaving nothing running', async () => {
    const error = await launch('slow-capabilities-3000', { setupTimeoutMs: 500 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'QMP_TIMEOUT', message: 'QEMU did not answer qmp_capabilities within 500 ms' })
    const left = await execa('pgrep', ['-f', 'qemuFake.mjs slow-capabilities-3000'], { reject: false })
    expect(left.stdout).toBe('')
  })

  it("reports QEMU's run state", async () => {
    const vm = await launch('plain')
    expect(await vm.state()).toBe('paused')
  })

  it('kills a QEMU that does not exit after quit, once the grace time has passed', async () => {
    const vm = await launch('ignore-quit', { quitGraceMs: 300 })
    const started = Date.now()
    await vm.shutdown()
    expect(await vm.process.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(await isProcessAlive(vm.process.identity)).toBe(false)
  })

  it('ends the boot watch with the reason: a stop that was asked for, or QEMU ending by itself', async () => {
    const killed = await launch('plain')
    await killed.kill()
    await expect(killed.firstSerialByte()).rejects.toMatchObject({ code: 'VM_STOPPED' })
    const crashed = await launch('exit-soon')
    const error = await crashed.firstSerialByte().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'VMM_EXITED', details: { code: 3 } })
    expect((error as Error).message).toMatch(/exited with code 3 before the guest printed anything: qemu-system-x86_64: terminating: the guest tripped/)
    expect(await crashed.state()).toBe('stopped')
  })

  // A CLI awaits the stop and exits: the unref'd VMM child must not let Node end first (exit 13,
  // "unsettled top-level await"), nor a grace timer keep it waiting after the VMM is gone.
  it.each(['kill', 'stop', 'shutdown'])('%s settles in a process where nothing else is pending', async (how) => {
    const started = Date.now()
    const child = await execa(process.execPath, ['--import', 'tsx', STOP_CHILD, how, await tempDir()], { timeout: 30_000, reject: false })
    expect(child.exitCode, child.stderr).toBe(0)
    expect(child.stdout).toMatch(new RegExp(`^${how} done \\{`))
    expect(Date.now() - started).toBeLessThan(8_000)
  })
})
