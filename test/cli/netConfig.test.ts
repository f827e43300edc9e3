import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { LeaseStore } from '../../src/main/runtime/net/leaseStore'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

describeAsRoot('bpvm net config', () => {
  describeWithPrograms(['ip'], 'network settings', () => {
    const netns = useNetns()
    const tempDir = useTempDirs()

    it('checks each value when it is set, keeps it, and new leases come from the pool', async () => {
      const ns = await netns.create()
      const other = await netns.create()
      await netns.veth(ns, 'uplink0', other, 'down0')
      const home = await tempDir()
      const cli = (args: string[]) => runCli(args, { prefix: ['ip', 'netns', 'exec', ns], env: { BPVM_HOME: home } })

      expect(envelope(await cli(['net', 'config', '--json']))).toEqual({ ok: true, value: { pool: '172.30.0.0/16' } })

      const hostBits = await cli(['net', 'config', '--pool', '10.77.0.1/24'])
      expect(hostBits.exitCode).toBe(1)
      expect(hostBits.stderrLines).toEqual(['bpvm: --pool: 10.77.0.1/24 has host bits set; did you mean 10.77.0.0/24?'])
      const tooSmall = await cli(['net', 'config', '--pool', '10.77.0.0/31'])
      expect(tooSmall.stderr).toMatch(/^bpvm: --pool: 10\.77\.0\.0\/31 is too small/)
      const missing = await cli(['net', 'config', '--egress', 'eth9'])
      expect(missing.stderrLines).toEqual(['bpvm: --egress: eth9 does not exist on this host (interfaces: uplink0)'])
      await expect(readFile(join(home, 'state', 'network.json'))).rejects.toMatchObject({ code: 'ENOENT' })

      const set = await cli(['net', 'config', '--pool', '10.77.0.0/24', '--egress', 'uplink0', '--json'])
      expect(envelope(set)).toEqual({ ok: true, value: { pool: '10.77.0.0/24', egressInterface: 'uplink0' } })
      const store = await LeaseStore.open({ stateDir: join(home, 'state'), net: { netns: ns } })
      expect((await store.allocate('vm-a')).subnet).toBe('10.77.0.0/30')

      const back = await cli(['net', 'config', '--egress-default'])
      expect(back.stdout).toBe("Address pool: 10.77.0.0/24\nEgress interface: the default route's")

      // A pool no command would take is refused the same way when it is read back from the file.
      for (const pool of ['0.0.0.0/0', '224.0.0.0/24']) {
        await writeFile(join(home, 'state', 'network.json'), JSON.stringify({ pool }))
        const read = envelope(await cli(['net', 'config', '--json']))
        expect(read).toMatchObject({ ok: false, error: { code: 'STATE_CORRUPT' } })
        expect(read.error?.message).toContain(`network.json: network pool: ${pool} reaches into`)
      }
    })
  })
})
