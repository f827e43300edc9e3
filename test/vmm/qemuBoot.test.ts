import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { createTap } from '../../src/main/runtime/net/ipCommand'
import { waitForSerial } from '../../src/main/runtime/vmm/qemu/bootWatchdog'
import { qemuDriver } from '../../src/main/runtime/vmm/qemu/qemuDriver'
import { vhostVsockAvailable } from '../../src/main/runtime/vmm/qemu/qemuHost'
import { isProcessAlive } from '../../src/main/runtime/state/processIdentity'
import { guestMac } from '../../src/main/runtime/vmm/vmSpec'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'
import { QEMU_TEST_PROGRAMS, qemuProcessesMentioning, tinyVm, useQemuVms } from './qemuTestVm'
import { TINY_GUEST_PROGRAMS, tinyGuest } from './qemuTinyGuest'

// Nested KVM guests hang here before their kernel prints anything: every real boot uses TCG.
describeAsRoot('QEMU driver: a tiny guest on a TAP in a test namespace (TCG)', () => {
  describeWithPrograms([...QEMU_TEST_PROGRAMS, ...TINY_GUEST_PROGRAMS], 'boot, status and power button', () => {
    const netns = useNetns()
    // A comma in every path: the command line must escape it where QEMU parses options.
    const tempDir = useTempDirs('bpvm-qemu,boot-')
    const track = useQemuVms()

    it('boots with the spec applied, reports running, and powers off on the power button', async () => {
      const [guest, dir, ns] = await Promise.all([tinyGuest(), tempDir(), netns.create()])
      const net = { netns: ns }
      const nic = { tap: 'tap-tngl-7', hostAddress: '192.168.77.1', prefix: 30, mac: guestMac(7) }
      await createTap(net, { name: nic.tap, hostAddress: nic.hostAddress, prefix: nic.prefix })
      const { spec, files } = await tinyVm(dir, guest, {
        cmdline: `console=ttyS0 panic=-1 no_timer_check tiny.disks=4 tiny.ip=192.168.77.2/30 tiny.gw=${nic.hostAddress}`,
        nic,
        vsock: { cid: 10, socket: `${dir}/vsock.sock` }
      })
      const notes: string[] = []
      const driver = qemuDriver({
        program: 'ip',
        argsPrefix: ['netns', 'exec', ns, 'qemu-system-x86_64'],
        accel: 'tcg',
        net,
        silentGuestMs: 30_000,
        onNote: (note) => notes.push(note)
      })
      const vm = track(await driver.launch(spec, files))

      expect(vm.report.accel.accel).toBe('tcg')
      expect(notes[0]).toBe('accelerator: TCG: chosen in the settings')
      if (await vhostVsockAvailable()) expect(vm.report.vsockAttached).toBe(true)
      else expect(notes).toContain('vsock: not attached, /dev/vhost-vsock is missing on this host (modprobe vhost_vsock)')

      const first = await vm.firstSerialByte()
      expect(await vm.state()).toBe('running')
      await waitForSerial(`${dir}/guest.log`, /^TINY ready$/, 90_000)
      console.info(`tiny guest (TCG): spawn → first serial byte ${first.afterMs} ms, → init ready ${Date.now() - vm.report.launchedAt} ms`)

      const log = (await readFile(`${dir}/guest.log`, 'utf8')).replaceAll('\r', '')
      expect(log).toMatch(/^TINY cpus=2 mem_kb=\d+$/m)
      const memKb = Number(/mem_kb=(\d+)/.exec(log)?.[1])
      expect(memKb).toBeGreaterThan(180 * 1024)
      expect(memKb).toBeLessThanOrEqual(256 * 1024)
      // vda…vdd in the reference's order, the read-only ones read-only, the qcow2 one read through its format.
      expect(log).toContain('TINY disk vda ro=0 serial=root head=disk:root\n')
      expect(log).toContain('TINY disk vdb ro=1 serial=cidata head=disk:cidata\n')
      expect(log).toContain('TINY disk vdc ro=0 serial=data head=disk:data\n')
      expect(log).toContain('TINY disk vdd ro=1 serial=service head=disk:service\n')
      expect(log).toContain(`TINY nic eth0 mac=${nic.mac}\n`)
      // The guest reached the host side of the pre-made TAP, inside the test namespace.
      expect(log).toContain('TINY ping ok\n')

      await vm.powerButton()
      await vm.waitForEvent('POWERDOWN', 5_000)
      await waitForSerial(`${dir}/guest.log`, /^TINY power-button$/, 30_000)
      // The guest powers off, and with it QEMU.
      const exit = await Promise.race([vm.process.exited, new Promise((resolve) => setTimeout(resolve, 30_000, 'still running'))])
      expect(exit).toEqual({ code: 0, signal: null })
      expect(await vm.state()).toBe('stopped')
      expect(vm.events.map((e) => e.event)).toContain('SHUTDOWN')
      expect(await isProcessAlive(vm.process.identity)).toBe(false)
      // Asking again once it is off is not an error.
      await vm.powerButton()
      await vm.shutdown()
      expect(await qemuProcessesMentioning(dir)).toEqual([])
    })

    it('refuses to start without the pre-made TAP, starting nothing', async () => {
      const [guest, dir, ns] = await Promise.all([tinyGuest(), tempDir(), netns.create()])
      const { spec, files } = await tinyVm(dir, guest, { nic: { tap: 'tap-tngl-8', hostAddress: '192.168.78.1', prefix: 30, mac: guestMac(8) } })
      const driver = qemuDriver({ program: 'ip', argsPrefix: ['netns', 'exec', ns, 'qemu-system-x86_64'], accel: 'tcg', net: { netns: ns } })
      await expect(driver.launch(spec, files)).rejects.toMatchObject({ code: 'TAP_MISSING', details: { link: 'tap-tngl-8' } })
      expect(await qemuProcessesMentioning(dir)).toEqual([])
    })
  })
})
