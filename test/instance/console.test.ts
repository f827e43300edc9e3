import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { expect, it, vi } from 'vitest'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { cliCommand, envelope, repoRoot } from '../support/runCli'

const SERVICE = `#!/bin/sh
echo "svc: started"
while :; do sleep 1; done
`

/** `bpvm console NAME` on a terminal of its own (a pty, driven as a person would: keys, a window resize). */
function consoleOnPty(home: string, name: string): { output: () => string; keys: (text: string) => void; resize: (rows: number, cols: number) => void; done: ResultPromise } {
  const [node, args] = cliCommand(['console', name])
  const run = execa('/usr/bin/python3', [join(repoRoot, 'test', 'support', 'ptyDriver.py'), '24', '80', '--', node, ...args], {
    cwd: repoRoot,
    env: { BPVM_HOME: home, TERM: 'xterm-256color' },
    stdin: 'pipe',
    reject: false,
    timeout: 120_000
  })
  let output = ''
  run.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const send = (action: unknown): void => void run.stdin?.write(`${JSON.stringify(action)}\n`)
  return { output: () => output, keys: (text) => send({ keys: text }), resize: (rows, cols) => send({ resize: [rows, cols] }), done: run }
}

describeAsRoot('the interactive console (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod', '/usr/bin/python3'], 'console', () => {
    const { home, instanceDir, host, launchArgs, waitForStatus, waitForGuestLog } = useLifecycleHost('console')

    it('bpvm console: a root shell, typed into and read back, resized, shared by two viewers, left and re-attached; the serial log untouched', async () => {
      const { work, cli } = await host(SERVICE)
      expect(envelope(await cli(launchArgs(work, 'shell')))).toMatchObject({ ok: true })
      await waitForStatus(cli, 'shell', 'Running', 60_000)
      expect(await waitForGuestLog('shell', 'svc: started', 30_000)).toContain('svc: started')

      const first = consoleOnPty(home, 'shell')
      await vi.waitFor(() => expect(first.output()).toContain("attached to shell's console; Ctrl-] leaves it"), { timeout: 30_000 })
      first.keys('\r')
      first.keys('echo marker-$((40000 + 1234))\r')
      await vi.waitFor(() => expect(first.output()).toContain('marker-41234'), { timeout: 30_000, interval: 200 })
      expect(first.output()).toContain('echo marker-$((40000 + 1234))')

      // The window grows: the guest's shell is told the new size.
      first.resize(31, 101)
      await new Promise((r) => setTimeout(r, 500))
      first.keys('stty size\r')
      await vi.waitFor(() => expect(first.output()).toContain('31 101'), { timeout: 30_000, interval: 200 })

      // A second viewer sees the same screen, and what either types.
      const second = consoleOnPty(home, 'shell')
      await vi.waitFor(() => expect(second.output()).toContain('marker-41234'), { timeout: 30_000 })
      second.keys('echo from-second-$((6 * 7))\r')
      await vi.waitFor(() => expect(first.output()).toContain('from-second-42'), { timeout: 30_000, interval: 200 })

      // Ctrl-] leaves; the VM keeps running, and attaching again finds the shell as it was.
      first.keys('\u001d')
      expect((await first.done).exitCode).toBe(0)
      expect(first.output()).toContain('detached (Ctrl-])')
      second.keys('\u001d')
      await second.done
      expect((await waitForStatus(cli, 'shell', 'Running', 5_000)).status).toBe('Running')
      const again = consoleOnPty(home, 'shell')
      await vi.waitFor(() => expect(again.output()).toContain('from-second-42'), { timeout: 30_000 })
      again.keys('echo again-$((2 + 3))\r')
      await vi.waitFor(() => expect(again.output()).toContain('again-5'), { timeout: 30_000, interval: 200 })
      again.keys('\u001d')
      await again.done

      // The serial log has the guest's boot and the service, and nothing typed at the console.
      const serial = await readFile(join(instanceDir('shell'), 'logs', 'guest.log'), 'utf8')
      expect(serial).toContain('svc: started')
      expect(serial).toContain('BPVM_EVENT service-started')
      expect(serial).not.toContain('marker-')

      expect(envelope(await cli(['down', 'shell', '--json']))).toMatchObject({ ok: true, value: { status: 'Finished' } })
      const gone = consoleOnPty(home, 'shell')
      expect((await gone.done).exitCode).toBe(1)
      expect(gone.output()).toMatch(/CONSOLE_UNAVAILABLE|has no console to attach to/)
    })
  })
})
