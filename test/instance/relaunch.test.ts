import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { expect, it, vi } from 'vitest'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { cliCommand, envelope } from '../support/runCli'

// Says which version it is and what the data disk remembers: a relaunch keeps the disk, so the second boot reads the first one's mark.
const service = (version: string): string => `#!/bin/sh
echo "svc ${version}: started"
if [ -f "$DATA_DIR/boot" ]; then echo "svc ${version}: disk from $(cat "$DATA_DIR/boot")"; else echo ${version} > "$DATA_DIR/boot" && sync; fi
while :; do sleep 1; done
`

describeAsRoot('relaunch, and relaunch on change (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod'], 'relaunch', () => {
    const { home, instanceDir, host, launchArgs, waitForStatus, waitForGuestLog, expectNothingLeft } = useLifecycleHost('relaunch')

    it('bpvm relaunch stops the VM gracefully and boots it again with the files as they are now, disks kept', async () => {
      const { ns, work, cli } = await host(service('v1'))
      expect(envelope(await cli(launchArgs(work, 'again')))).toMatchObject({ ok: true })
      await waitForStatus(cli, 'again', 'Running', 60_000)
      expect(await waitForGuestLog('again', 'svc v1: started', 90_000)).toContain('svc v1: started')
      const before = JSON.parse(await readFile(join(instanceDir('again'), 'instance.json'), 'utf8'))

      await writeFile(join(work, 'service.sh'), service('v2'))
      const relaunched = await cli(['relaunch', 'again', '--timeout', '20', '--json'])
      expect(envelope(relaunched)).toMatchObject({ ok: true, value: { kind: 'relaunch', title: 'Relaunch again', state: 'succeeded', step: 'running' } })
      await waitForStatus(cli, 'again', 'Running', 60_000)
      const log = await waitForGuestLog('again', 'svc v2: disk from v1', 90_000)
      expect(log).toContain('svc v2: disk from v1')
      // The first boot's log is kept beside the new one; the record is the same instance, a new VMM.
      expect(await readFile(join(instanceDir('again'), 'logs', 'guest.log.1'), 'utf8')).toContain('svc v1: started')
      const after = JSON.parse(await readFile(join(instanceDir('again'), 'instance.json'), 'utf8'))
      expect(after.createdAt).toBe(before.createdAt)
      expect(after.process.pid).not.toBe(before.process.pid)
      expect(await readFile(join(instanceDir('again'), 'logs', 'launch.log'), 'utf8')).toMatch(/stop|running/)

      // The files are checked before anything is stopped: a binary that is gone leaves the VM running.
      await rename(join(work, 'service.sh'), join(work, 'moved.sh'))
      const refused = envelope(await cli(['relaunch', 'again', '--json']))
      expect(refused).toMatchObject({ ok: false, error: { details: { field: 'binary' } } })
      expect((await waitForStatus(cli, 'again', 'Running', 5_000)).status).toBe('Running')

      expect(envelope(await cli(['down', 'again', '--force', '--json']))).toMatchObject({ ok: true })
      await expectNothingLeft(ns, 'again')
      expect(envelope(await cli(['relaunch', 'nobody', '--json']))).toMatchObject({ ok: false, error: { code: 'INSTANCE_NOT_FOUND' } })
    }, 300_000)

    it('bpvm launch --watch relaunches on a rewrite, prints the new boot, and Ctrl-C stops watching with the VM left running', async () => {
      const { ns, work, cli } = await host(service('v1'))
      const args = launchArgs(work, 'watched').filter((arg) => arg !== '--detach' && arg !== '--json')
      const [node, nodeArgs] = cliCommand([...args, '--watch'])
      const watching = execa('ip', ['netns', 'exec', ns, node, ...nodeArgs], { env: { BPVM_HOME: home }, reject: false, cwd: process.cwd(), all: true })
      let output = ''
      watching.all?.on('data', (chunk: Buffer) => (output += chunk.toString()))
      await vi.waitFor(() => expect(output).toContain('svc v1: started'), { timeout: 120_000, interval: 200 })
      expect(output).toContain("bpvm: watching watched's binary and keystore")
      const saved = JSON.parse(await readFile(join(instanceDir('watched'), 'launch.json'), 'utf8'))
      expect(saved).toMatchObject({ version: 1, watch: true, request: { name: 'watched', watch: true } })

      await writeFile(join(work, 'service.sh'), service('v2'))
      await vi.waitFor(() => expect(output).toContain('svc v2: disk from v1'), { timeout: 120_000, interval: 200 })
      expect(output).toMatch(/bpvm: \[stop\] stopping watched/)
      expect(output).toContain('bpvm: ── watched booted again: its guest log starts over ──')
      expect(output).toMatch(/bpvm: relaunched watched in \d+\.\d s; still watching/)

      watching.kill('SIGINT')
      const ended = await watching
      expect(ended.exitCode).toBe(0)
      expect(output).toContain('bpvm: stopped watching watched; it keeps running (`bpvm down watched` stops it)')
      expect(JSON.parse(await readFile(join(instanceDir('watched'), 'launch.json'), 'utf8')).watch).toBe(false)
      expect(await waitForStatus(cli, 'watched', 'Running', 5_000)).toMatchObject({ watch: { enabled: false } })
      const down = envelope(await cli(['down', 'watched', '--force', '--json']))
      expect(down.error).toBeUndefined()
      await expectNothingLeft(ns, 'watched')
    }, 300_000)
  })
})
