import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readBridgeConfig, writeBridgeConfig, type BridgeConfig } from '../../src/main/runtime/bridge/bridgeFiles'
import { instancePaths } from '../../src/main/runtime/instance/instanceRecord'
import { envelope, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'
import { DEAD_PROCESS, recordFixture } from '../support/recordFixture'

/** A record as a launch writes it, running with a VMM that is long gone (so reconcile would end it). */
const record = (name: string) => recordFixture(name, 7, { process: DEAD_PROCESS })

describe('paths built from stored values never lead outside the home', () => {
  const tempDir = useTempDirs()

  it('an instance name that is a path builds no path at all', () => {
    for (const name of ['../../../x', '..', 'a/b', '', 'UPPER']) expect(() => instancePaths(name), name).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'name' } }))
  })

  it('a record whose name is not its directory is reported corrupt, naming its file, and nothing outside the home is touched', async () => {
    const root = await tempDir()
    const home = join(root, 'home')
    const outside = join(root, 'x')
    await mkdir(outside, { recursive: true })
    await writeFile(join(outside, 'vmm.sock'), 'not ours')
    const dir = join(home, 'state', 'instances', 'evil')
    await mkdir(dir, { recursive: true })
    // From state/instances/evil, ../../../x is the folder beside the home.
    await writeFile(join(dir, 'instance.json'), JSON.stringify(record('../../../x')))

    const listed = envelope(await runCli(['ls', '--json'], { env: { BPVM_HOME: home } }))
    expect(listed).toMatchObject({ ok: true, value: [{ name: 'evil', status: 'Unknown', broken: { file: join(dir, 'instance.json') } }] })
    expect(JSON.stringify(listed.value)).toContain('names the instance \\"../../../x\\", not evil')
    expect((await readdir(outside)).sort()).toEqual(['vmm.sock'])
    expect(await readFile(join(outside, 'vmm.sock'), 'utf8')).toBe('not ours')
  }, 60_000)

  it("a bridge configuration naming sockets or a log outside the bridge's directory is refused", async () => {
    const dir = await tempDir()
    const config: BridgeConfig = {
      version: 1, instance: 'x', serviceId: '1', guestAddress: '127.0.0.2', hostAddress: '127.0.0.1', transport: 'vsock',
      sockets: [join(dir, 'bridge.sock')], maxPorts: 4, serialLog: join(dir, 'logs', 'guest.log'), testMode: false, pingWarningSeconds: 60
    }
    await writeBridgeConfig(join(dir, 'bridge.json'), config)
    await expect(readBridgeConfig(dir)).resolves.toMatchObject({ sockets: [join(dir, 'bridge.sock')] })
    for (const crafted of [{ sockets: ['/etc/bpvm-test.sock'] }, { sockets: [join(dir, '..', 'escape.sock')] }, { serialLog: '/etc/shadow' }, { sockets: ['relative.sock'] }]) {
      await writeBridgeConfig(join(dir, 'bridge.json'), { ...config, ...crafted })
      await expect(readBridgeConfig(dir), JSON.stringify(crafted)).rejects.toThrow(/names paths outside/)
    }
  })
})
