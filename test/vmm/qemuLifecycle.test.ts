import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { BpvmError } from '../../src/shared/errors'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import { qemuDriver } from '../../src/main/runtime/vmm/qemu/qemuDriver'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'
import { QEMU_TEST_PROGRAMS, qemuProcessesMentioning, tinyVm, useQemuVms } from './qemuTestVm'
import { TINY_GUEST_PROGRAMS, tinyGuest } from './qemuTinyGuest'

// Nested KVM guests hang here before their kernel prints anything: every real boot uses TCG.
describeWithPrograms([...QEMU_TEST_PROGRAMS, ...TINY_GUEST_PROGRAMS], 'QEMU driver: stopping, silent guests and failed launches (TCG)', () => {
  const tempDir = useTempDirs('bpvm-qemu,life-')
  const track = useQemuVms()
  const driver = qemuDriver({ accel: 'tcg', quitGraceMs: 10_000 })

  it('quit ends QEMU, and a second shutdown is quiet', async () => {
    const dir = await tempDir()
    const { spec, files } = await tinyVm(dir, await tinyGuest())
    const vm = track(await driver.launch(spec, files))
    const first = await vm.firstSerialByte()
    console.info(`tiny guest (TCG, no NIC): spawn → first serial byte ${first.afterMs} ms`)
    expect(await vm.state()).toBe('running')
    const quitAt = Date.now()
    await vm.shutdown()
    expect(vm.process.isRunning()).toBe(false)
    expect(Date.now() - quitAt).toBeLessThan(5_000)
    // `quit` is a clean exit, not a kill.
    expect(await vm.process.exited).toEqual({ code: 0, signal: null })
    expect(await vm.state()).toBe('stopped')
    await vm.shutdown()
    expect(await isProcessAlive(vm.process.identity)).toBe(false)
    expect(await qemuProcessesMentioning(dir)).toEqual([])
  })

  it('kill leaves no process behind', async () => {
    const dir = await tempDir()
    const { spec, files } = await tinyVm(dir, await tinyGuest())
    const vm = track(await driver.launch(spec, files))
    await vm.kill()
    expect(await vm.process.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await isProcessAlive(vm.process.identity)).toBe(false)
    expect(await vm.state()).toBe('stopped')
    expect(await qemuProcessesMentioning(dir)).toEqual([])
  })

  it('reports a guest that prints nothing as GUEST_SILENT, naming the accelerator, instead of hanging', async () => {
    const dir = await tempDir()
    // The console goes to a VGA terminal the VM does not have: the serial port stays silent.
    const { spec, files } = await tinyVm(dir, await tinyGuest(), { cmdline: 'console=tty0 panic=-1' })
    const started = Date.now()
    const vm = track(await qemuDriver({ accel: 'tcg', silentGuestMs: 4_000 }).launch(spec, files))
    const error = await vm.firstSerialByte().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BpvmError)
    expect((error as BpvmError).toInfo()).toEqual({
      code: 'GUEST_SILENT',
      message: 'the guest printed nothing within 4 s (accelerator: tcg)',
      details: { accel: 'tcg', seconds: 4, serialLog: join(dir, 'guest.log') }
    })
    expect(Date.now() - started).toBeLessThan(10_000)
    // Silent is not stopped: the caller decides what to do with it.
    expect(await vm.state()).toBe('running')
    await vm.kill()
  })

  it('with the accelerator on auto, a guest that cannot boot is reported, never waited on', async () => {
    const dir = await tempDir()
    const { spec, files } = await tinyVm(dir, await tinyGuest())
    // Where KVM works the guest prints. Under nested KVM, QEMU either aborts (QEMU 7.2 cannot set
    // MSR 0x10a with -cpu host) or its guest hangs silently: both must come back as errors.
    const launched = await qemuDriver({ accel: 'auto', silentGuestMs: 5_000 })
      .launch(spec, files)
      .then(track, (e: unknown) => e as BpvmError)
    if (launched instanceof BpvmError) {
      expect(launched.code).toBe('VMM_EXITED')
      expect(launched.message).toMatch(/^qemu-system-x86_64 .*: qemu-system-x86_64: /)
      console.info(`accel auto: QEMU did not start: ${launched.message}`)
    } else {
      const outcome = await launched.firstSerialByte().then(
        (first) => `printed after ${first.afterMs} ms`,
        (e: BpvmError) => e
      )
      if (outcome instanceof BpvmError) expect(outcome.message).toContain(`(accelerator: ${launched.report.accel.accel})`)
      console.info(`accel auto: ${launched.report.accel.reason}; ${outcome instanceof BpvmError ? outcome.message : outcome}`)
      await launched.kill()
    }
    expect(await qemuProcessesMentioning(dir)).toEqual([])
  })

  it('a launch QEMU refuses leaves nothing running and carries its stderr', async () => {
    const dir = await tempDir()
    const { spec, files } = await tinyVm(dir, await tinyGuest())
    await rm(join(dir, 'cidata.img'))
    const error = await driver.launch(spec, files).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'VMM_EXITED' })
    expect((error as Error).message).toMatch(/^qemu-system-x86_64 exited with code 1 before it was ready: .*cidata\.img.*No such file or directory/)
    expect(await qemuProcessesMentioning(dir)).toEqual([])
  })

  it('gives the serial console a PTY when asked, and names it', async () => {
    const dir = await tempDir()
    const { spec, files } = await tinyVm(dir, await tinyGuest(), { serial: { mode: 'pty' } })
    const vm = track(await driver.launch(spec, files))
    expect(vm.report.serialPty).toMatch(/^\/dev\/pts\/\d+$/)
    await expect(vm.firstSerialByte()).rejects.toMatchObject({ code: 'SERIAL_NOT_FILE' })
    await vm.kill()
  })
})
