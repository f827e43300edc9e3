import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { aptIndexStamp } from '../../src/main/runtime/image/devGuest/aptCache'
import { resolveDevGuestPackagesMemo } from '../../src/main/runtime/image/devGuest/debianPackages'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

describeWithPrograms(['apt-cache'], 'dev guest package versions, remembered until apt changes', () => {
  const tempDir = useTempDirs()
  const record = (name: string, version: string) => ({ name, version, depends: [] })

  it('answers from the memo while apt is unchanged, without asking apt', async () => {
    const memo = join(await tempDir(), 'packages.json')
    // Versions apt would never give: only the memo can be their source.
    const packages = { kernel: record('linux-image-0.0.0-cloud-amd64', 'memo'), busybox: record('busybox-static', 'memo'), relay: [record('socat', 'memo')] }
    await writeFile(memo, JSON.stringify({ stamp: await aptIndexStamp(), packages }))
    expect(await resolveDevGuestPackagesMemo(memo)).toEqual(packages)
  })

  it('asks apt again when its lists changed, and remembers the new answer', async () => {
    const memo = join(await tempDir(), 'packages.json')
    await writeFile(memo, JSON.stringify({ stamp: 'lists of another day', packages: { kernel: record('k', 'old'), busybox: record('b', 'old'), relay: [] } }))
    const resolved = await resolveDevGuestPackagesMemo(memo)
    expect(resolved.kernel.name).toMatch(/^linux-image-\d.*-cloud-amd64$/)
    expect(resolved.busybox.version).not.toBe('old')
    // socat with everything it links, down to libc.
    expect(resolved.relay.map((p) => p.name)).toEqual(expect.arrayContaining(['socat', 'libc6', 'libssl3']))
    expect(resolved.relay.map((p) => p.name)).toEqual([...resolved.relay.map((p) => p.name)].sort())
    expect(JSON.parse(await readFile(memo, 'utf8'))).toEqual({ stamp: await aptIndexStamp(), packages: resolved })
  })
})
