import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it, vi } from 'vitest'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { consoleOnPty, type ConsoleOnPty } from '../support/consolePty'
import { envelope } from '../support/runCli'

const SERVICE = `#!/bin/sh
echo "svc: started"
while :; do sleep 1; done
`

/** Types into a viewer, waits for the answer on its screen, then leaves with Ctrl-]. */
async function typeThenLeave(viewer: ConsoleOnPty, keys: string, answer: string): Promise<void> {
  viewer.keys(keys)
  await vi.waitFor(() => expect(viewer.output()).toContain(answer), { timeout: 90_000, interval: 200 })
  viewer.keys('\u001d')
  await viewer.done
}

describeAsRoot('the interactive console (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod', '/usr/bin/python3'], 'console', () => {
    const { home, instanceDir, host, launchArgs, waitForStatus, waitForGuestLog } = useLifecycleHost('console')

    it('bpvm console: a root shell, typed into and read back, resized, shared by two viewers, left and re-attached; the serial log untouched', async () => {
      const { work, cli } = await host(SERVICE)
      expect(envelope(await cli(launchArgs(work, 'shell')))).toMatchObject({ ok: true })
      await waitForStatus(cli, 'shell', 'Running', 60_000)
      expect(await waitForGuestLog('shell', 'svc: started', 90_000)).toContain('svc: started')

      const first = consoleOnPty(home, 'shell')
      await vi.waitFor(() => expect(first.output()).toContain("attached to shell's console; Ctrl-] leaves it"), { timeout: 90_000 })
      first.keys('\r')
      first.keys('echo marker-$((40000 + 1234))\r')
      await vi.waitFor(() => expect(first.output()).toContain('marker-41234'), { timeout: 90_000, interval: 200 })
      expect(first.output()).toContain('echo marker-$((40000 + 1234))')

      // The window grows: the guest's shell is told the new size.
      first.resize(31, 101)
      await new Promise((r) => setTimeout(r, 500))
      first.keys('stty size\r')
      await vi.waitFor(() => expect(first.output()).toContain('31 101'), { timeout: 90_000, interval: 200 })

      // A second viewer sees the same screen, and what either types.
      const second = consoleOnPty(home, 'shell')
      await vi.waitFor(() => expect(second.output()).toContain('marker-41234'), { timeout: 90_000 })
      second.keys('echo from-second-$((6 * 7))\r')
      await vi.waitFor(() => expect(first.output()).toContain('from-second-42'), { timeout: 90_000, interval: 200 })

      // Ctrl-] leaves; the VM keeps running, and attaching again finds the shell as it was.
      first.keys('\u001d')
      expect((await first.done).exitCode).toBe(0)
      expect(first.output()).toContain('detached (Ctrl-])')
      second.keys('\u001d')
      await second.done
      expect((await waitForStatus(cli, 'shell', 'Running', 5_000)).status).toBe('Running')
      const again = consoleOnPty(home, 'shell')
      await vi.waitFor(() => expect(again.output()).toContain('from-second-42'), { timeout: 90_000 })
      await typeThenLeave(again, 'echo again-$((2 + 3))\r', 'again-5')

      // A killed hub is started again by the next reconcile; the guest's shell is still there.
      const recordFile = join(instanceDir('shell'), 'instance.json')
      const hub = JSON.parse(await readFile(recordFile, 'utf8')).console.process as { pid: number }
      process.kill(hub.pid, 'SIGKILL')
      expect((await cli(['reconcile'])).stdout).toContain('started the dead console hubs of shell again')
      expect(JSON.parse(await readFile(recordFile, 'utf8')).console.process.pid).not.toBe(hub.pid)
      const restarted = consoleOnPty(home, 'shell')
      await vi.waitFor(() => expect(restarted.output()).toContain("attached to shell's console"), { timeout: 90_000 })
      await typeThenLeave(restarted, 'echo hub-$((3 * 5))\r', 'hub-15')
      expect(await readFile(join(instanceDir('shell'), 'logs', 'launch.log'), 'utf8')).toMatch(/reconcile: the console hub \(pid \d+\) had died while the VM runs; started again as pid \d+/)

      // The serial log has the guest's boot and the service, and nothing typed at the console.
      const serial = await readFile(join(instanceDir('shell'), 'logs', 'guest.log'), 'utf8')
      expect(serial).toContain('svc: started')
      expect(serial).toContain('BPVM_EVENT service-started')
      expect(serial).not.toContain('marker-')

      expect(envelope(await cli(['down', 'shell', '--json']))).toMatchObject({ ok: true, value: { status: 'Finished' } })
      const gone = consoleOnPty(home, 'shell')
      expect((await gone.done).exitCode).toBe(1)
      expect(gone.output()).toMatch(/CONSOLE_UNAVAILABLE|has no console to attach to/)
    }, 600_000)
  })
})
