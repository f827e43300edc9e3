import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'
import { FULL_STATE_DIR } from '../support/fullStateDir'
import { DEAD_PROCESS, recordFixture } from '../support/recordFixture'


/** A record of an instance whose VMM died while no bpvm process watched. */
const deadRecord = (name: string) => recordFixture(name, 9, { process: DEAD_PROCESS })

describeAsRoot('a full state disk (the CLI in a namespace of its own, the state dir on a full 1 MiB tmpfs)', () => {
  describeWithPrograms(['unshare', 'mount', 'ip', 'nft'], 'down --purge frees it; a write that cannot be made names its file', () => {
    const netns = useNetns()
    const tempDir = useTempDirs()

    it('down --purge still works, and leaves nothing of the instance; a settings write fails with DISK_FULL naming the file', async () => {
      const ns = await netns.create()
      const home = await tempDir()
      const prepared = await tempDir()
      await mkdir(join(prepared, 'instances', 'ghost', 'logs'), { recursive: true })
      await writeFile(join(prepared, 'instances', 'ghost', 'instance.json'), JSON.stringify(deadRecord('ghost')))
      await writeFile(join(prepared, 'instances', 'ghost', 'logs', 'guest.log'), 'x'.repeat(200_000))
      const stateDir = join(home, 'state')
      await mkdir(stateDir, { recursive: true })
      const inFullState = (args: string[], listing: string) =>
        runCli([...args, '--json'], { prefix: ['ip', 'netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', FULL_STATE_DIR, stateDir, prepared, listing], env: { BPVM_HOME: home, PATH: process.env.PATH ?? '' } })

      const purgeListing = join(home, 'after-purge')
      const purged = await inFullState(['down', 'ghost', '--purge'], purgeListing)
      expect(envelope(purged)).toMatchObject({ ok: true, value: { name: 'ghost', purged: true } })
      expect((await readFile(purgeListing, 'utf8')).split('\n').filter((line) => line.includes('ghost'))).toEqual([])

      const configListing = join(home, 'after-config')
      const config = envelope(await inFullState(['net', 'config', '--pool', '10.77.0.0/24'], configListing))
      expect(config, JSON.stringify(config)).toMatchObject({ ok: false, error: { code: 'DISK_FULL' } })
      // The first file it cannot write is named: the settings lock, or the settings themselves.
      expect(config.error?.message).toMatch(new RegExp(`^no space left on the disk to write ${stateDir}/(network\\.json|[^ ]*\\.lock) `))
      // The failed write left no temp file behind.
      expect((await readFile(configListing, 'utf8')).split('\n').filter((line) => line.includes('network.json'))).toEqual([])
    }, 60_000)
  })
})
