import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cidataConfig } from '../../src/main/runtime/disk/cidata'
import { metaData, networkConfig } from '../../src/main/runtime/disk/cidataDocuments'
import { buildDevGuest } from '../../src/main/runtime/image/devGuest/buildDevGuest'
import { describeWithPrograms } from '../support/prerequisites'
import { BUILD_PROGRAMS } from './devGuestFixtures'

/**
 * The init's scripts, checked with the guest's own busybox (taken out of the built initramfs):
 * they parse, and its YAML reader gets back exactly what our CIDATA documents say.
 */
describeWithPrograms([...BUILD_PROGRAMS, 'cpio'], "the dev guest's scripts, run by its own busybox", () => {
  let root: string

  beforeAll(async () => {
    const guest = await buildDevGuest()
    root = await mkdtemp(join(tmpdir(), 'bpvm-dev-scripts-'))
    // Patterns, so no device node is made and this works without root.
    const wanted = ['init', 'bin/busybox', 'lib/bpvm/*', 'etc/acpi/PWRF/*']
    await execa('cpio', ['-i', '-d', '--quiet', '--no-absolute-filenames', ...wanted], { cwd: root, input: gunzipSync(await readFile(guest.initramfs)) })
  }, 180_000)
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true })
  })

  const busybox = (args: string[], input?: string) => execa(join(root, 'bin/busybox'), args, { ...(input === undefined ? {} : { input }), stripFinalNewline: false })

  /** What the init does with a document: flatten it, then (for network-config) plan the NICs. */
  async function flatten(yaml: string): Promise<string[]> {
    const { stdout } = await busybox(['awk', '-f', join(root, 'lib/bpvm/yaml-flat.awk')], yaml)
    return stdout.split('\n').filter((line) => line !== '')
  }
  async function plan(yaml: string): Promise<string[]> {
    const flat = await flatten(yaml)
    const { stdout } = await busybox(['awk', '-f', join(root, 'lib/bpvm/network-plan.awk')], flat.map((l) => `${l}\n`).join(''))
    return stdout.split('\n').filter((line) => line !== '')
  }

  it.each(['init', 'lib/bpvm/power-off', 'etc/acpi/PWRF/00000080'])('%s is valid busybox sh', async (script) => {
    await expect(busybox(['sh', '-n', join(root, script)])).resolves.toMatchObject({ exitCode: 0 })
  })

  // Printable ASCII without spaces or '/', as cidataConfig allows; each needs a different YAML 1.1 spelling.
  const instanceIds = ['svc-1', `a'b"c:#x`, `"x\\y'`, '123', '0x1F', '1e3', 'on', 'yes', 'null', '~', '12:30', '-x', '!tag', '&anchor', '*alias', '|', '>', '%x', '@x', '`x`', '{x}', '[x]', '?x', '#x', 'x#', "'", '"', '\\']

  it.each(instanceIds)('reads back the instance-id %j from meta-data', async (instanceId) => {
    const config = cidataConfig({ instanceId, mac: '52:54:00:00:00:01', address: '10.0.0.2/24', gateway: '10.0.0.1' })
    const flat = await flatten(metaData(config))
    expect(flat).toEqual([`instance-id=${instanceId}`])
  })

  it('plans the NIC from the network-config our cidata disk carries', async () => {
    const config = cidataConfig({ instanceId: 'i', mac: '52:54:00:AB:CD:EF', address: '172.30.0.6/30', gateway: '172.30.0.5', dns: ['9.9.9.9', '2620:fe::fe'] })
    expect(await plan(networkConfig(config))).toEqual(['nic 52:54:00:ab:cd:ef', 'addr 172.30.0.6/30', 'gateway 172.30.0.5', 'dns 9.9.9.9', 'dns 2620:fe::fe'])
  })

  it('reads the older gateway4 form, several ethernets, comments and CRLF line ends', async () => {
    const yaml = [
      '# written by hand',
      'version: 2',
      'ethernets:',
      '  ens5:',
      '    match:',
      "      macaddress: '52:54:00:12:34:56'  # the guest's NIC",
      '    addresses:',
      '    - 10.1.0.2/24',
      '    - 10.2.0.2/24',
      '    gateway4: 10.1.0.1',
      '  spare:',
      '    dhcp4: true',
      '  second:',
      '    match: {}',
      '    match:',
      '      macaddress: "52:54:00:00:00:02"',
      '    routes:',
      '      - via: 10.3.0.1',
      '        to: 0.0.0.0/0',
      ''
    ].join('\r\n')
    expect(await plan(yaml)).toEqual([
      'nic 52:54:00:12:34:56',
      'addr 10.1.0.2/24',
      'addr 10.2.0.2/24',
      'gateway 10.1.0.1',
      'skip spare',
      'nic 52:54:00:00:00:02',
      'gateway 10.3.0.1'
    ])
  })
})
