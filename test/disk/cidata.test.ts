import { execa } from 'execa'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildCidataDisk, cidataConfig, cidataDigest, cidataTag, type CidataRequest } from '../../src/main/runtime/disk/cidata'
import { metaData, networkConfig, userData } from '../../src/main/runtime/disk/cidataDocuments'
import { blkidLabel, extractFat, fatInspectPrograms, fsckFat } from '../support/fatInspect'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

const request: Omit<CidataRequest, 'out'> = { instanceId: 'bpvm-7', mac: '52:54:00:AB:cd:0F', address: '172.30.0.2/24', gateway: '172.30.0.1' }

// cloud-init parses with PyYAML, i.e. YAML 1.1: that is how the files must read back.
const asCloudInit = (text: string): unknown => parse(text, { version: '1.1' })

interface NetworkDoc {
  version: number
  ethernets: Record<string, { match: { macaddress: unknown }; dhcp4: boolean; dhcp6: boolean; addresses: string[]; routes: unknown[]; nameservers: { addresses: string[] } }>
}

interface UserDoc {
  disk_setup: Record<string, unknown>
  fs_setup: unknown[]
  mounts: string[][]
  write_files: Array<{ path: string; content: string }>
  packages: string[]
  runcmd: string[][]
}

describe('cloud-init documents', () => {
  it('network-config matches the NIC by MAC (read back as a string) with a static address and default route', () => {
    const doc = asCloudInit(networkConfig(cidataConfig(request))) as NetworkDoc
    expect(doc.version).toBe(2)
    const nics = Object.values(doc.ethernets)
    expect(nics).toHaveLength(1)
    expect(nics[0]).toEqual({
      match: { macaddress: '52:54:00:ab:cd:0f' },
      dhcp4: false,
      dhcp6: false,
      addresses: ['172.30.0.2/24'],
      routes: [{ to: '0.0.0.0/0', via: '172.30.0.1' }],
      nameservers: { addresses: ['1.1.1.1', '8.8.8.8'] }
    })
    expect(networkConfig(cidataConfig(request))).not.toMatch(/ens5/)
  })

  it('uses the DNS servers given', () => {
    const doc = asCloudInit(networkConfig(cidataConfig({ ...request, dns: ['9.9.9.9', '2620:fe::fe'] }))) as NetworkDoc
    expect(Object.values(doc.ethernets)[0]?.nameservers.addresses).toEqual(['9.9.9.9', '2620:fe::fe'])
  })

  it('meta-data keeps instance ids YAML would otherwise turn into numbers or booleans', () => {
    for (const instanceId of ['yes', '0755', '12:30:45', '1e3', 'id#1:x']) {
      expect(asCloudInit(metaData(cidataConfig({ ...request, instanceId })))).toEqual({ 'instance-id': instanceId })
    }
  })

  it("meta-data names the bridge's relay port for the dev guest's init only when there is a relay", () => {
    expect(asCloudInit(metaData(cidataConfig({ ...request, bridgeRelay: { address: '172.30.0.1', port: 8000 } })))).toEqual({ 'instance-id': request.instanceId, 'bpvm-bridge-relay': '172.30.0.1:8000' })
    expect(asCloudInit(metaData(cidataConfig(request)))).toEqual({ 'instance-id': request.instanceId })
  })

  it('user-data partitions and mounts the disks, writes the launch unit, and enables the unit; no Docker unless asked', () => {
    const text = userData({ docker: false, graceSeconds: 10 })
    expect(text.split('\n')[0]).toBe('#cloud-config')
    const doc = asCloudInit(text) as UserDoc
    // A layout list, not `layout: true`, which cloud-init 22.4 turns into a start sector sfdisk refuses.
    expect(doc.disk_setup).toEqual({ '/dev/vdc': { table_type: 'mbr', layout: [[100, 83]], overwrite: false } })
    expect(doc.fs_setup).toEqual([{ label: 'DATADISK', filesystem: 'ext4', device: '/dev/vdc1', overwrite: false }])
    expect(doc.mounts).toEqual([
      ['LABEL=SERVICEDISK', '/srv', 'vfat', 'ro,defaults,nofail', '0', '0'],
      ['LABEL=DATADISK', '/mnt/data', 'ext4', 'defaults,nofail,discard', '0', '2']
    ])
    const unit = doc.write_files.find((f) => f.path === '/etc/systemd/system/launch.service')?.content ?? ''
    const unitLines = unit.split('\n')
    for (const line of ['Type=simple', 'Restart=no', 'KillSignal=SIGINT', 'After=srv.mount mnt-data.mount network.target systemd-logind.service', 'ExecStartPre=/bin/sh /usr/local/lib/bpvm/wait-for-route', 'ExecStart=/bin/sh /usr/local/lib/bpvm/run-service', 'ExecStopPost=/bin/sh /usr/local/lib/bpvm/service-exited', 'TimeoutStopSec=10']) {
      expect(unitLines).toContain(line)
    }
    expect(doc.write_files.map((f) => f.path)).not.toContain('/etc/docker/daemon.json')
    expect(doc).not.toHaveProperty('package_update')
    expect(doc).not.toHaveProperty('packages')
    expect(doc.runcmd).toContainEqual(['systemctl', 'enable', '--now', 'launch.service'])
  })

  it('user-data logs root in on the console (hvc0 only) and sets the viewer\'s window size there, before the service starts', async () => {
    const doc = asCloudInit(userData({ docker: false, graceSeconds: 10 })) as UserDoc
    const file = (path: string) => doc.write_files.find((f) => f.path === path)?.content ?? ''
    expect(file('/etc/systemd/system/serial-getty@hvc0.service.d/bpvm-autologin.conf').split('\n')).toEqual([
      '[Service]', 'Environment=TERM=xterm-256color', 'ExecStart=', 'ExecStart=-/sbin/agetty --autologin root --noclear %I $TERM', ''
    ])
    // Nothing for the serial port, whose getty keeps asking for a login.
    expect(doc.write_files.map((f) => f.path).filter((path) => path.includes('ttyS0'))).toEqual([])
    const sizeUnit = file('/etc/systemd/system/bpvm-console-size.service').split('\n')
    expect(sizeUnit).toEqual(expect.arrayContaining(['ExecStart=/usr/local/lib/bpvm/console-size', 'BindsTo=dev-hvc0.device', 'After=dev-hvc0.device', 'WantedBy=multi-user.target']))
    const script = file('/usr/local/lib/bpvm/console-size')
    expect(script).toMatch(/= '?org\.bpvm\.console-size'? \]/)
    expect(script).toContain('stty -F /dev/hvc0 rows "$rows" cols "$cols"')
    await execa('sh', ['-n'], { input: script })
    expect(doc.runcmd).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', 'serial-getty@hvc0.service'],
      ['sh', '-c', 'if [ -e /dev/hvc0 ]; then systemctl --no-block restart serial-getty@hvc0.service; fi'],
      ['systemctl', 'enable', '--now', '--no-block', 'bpvm-console-size.service'],
      ['systemctl', 'enable', '--now', 'launch.service']
    ])
  })

  it('user-data with Docker: a package update, docker.io, its data root on the data disk, and the unit after docker.service', () => {
    const doc = asCloudInit(userData({ docker: true, graceSeconds: 10 })) as UserDoc & { package_update?: boolean }
    const daemon = doc.write_files.find((f) => f.path === '/etc/docker/daemon.json')?.content ?? '{}'
    expect(JSON.parse(daemon)).toEqual({ 'data-root': '/mnt/data/docker' })
    expect(doc.package_update).toBe(true)
    expect(doc.packages).toEqual(['docker.io'])
    const unit = doc.write_files.find((f) => f.path === '/etc/systemd/system/launch.service')?.content ?? ''
    expect(unit.split('\n')).toContain('After=srv.mount mnt-data.mount network.target systemd-logind.service docker.service')
  })

  it('kills what is left of the service after the grace period (at least a second: 0 would mean never)', () => {
    const unitOf = (graceSeconds: number) => (asCloudInit(userData({ docker: false, graceSeconds })) as UserDoc).write_files.find((f) => f.path === '/etc/systemd/system/launch.service')?.content ?? ''
    expect(unitOf(45).split('\n')).toContain('TimeoutStopSec=45')
    expect(unitOf(0).split('\n')).toContain('TimeoutStopSec=1')
    expect(cidataConfig(request).graceSeconds).toBe(10)
    expect(() => cidataConfig({ ...request, graceSeconds: -1 })).toThrow(/^graceSeconds: /)
  })

  it('tags instance ids with the user-data and network-config, so a change is applied again on a relaunch', () => {
    const rest = { mac: request.mac, address: request.address, gateway: request.gateway }
    expect(cidataTag(rest)).toMatch(/^[0-9a-f]{8}$/)
    expect(cidataTag(rest)).toBe(cidataTag({ ...rest }))
    expect(cidataTag({ ...rest, docker: true })).not.toBe(cidataTag(rest))
    expect(cidataTag({ ...rest, dns: ['9.9.9.9'] })).not.toBe(cidataTag(rest))
  })

  it('has one digest for equal documents and another when any of the three changes', () => {
    const config = cidataConfig(request)
    expect(cidataDigest(config)).toBe(cidataDigest(cidataConfig(request)))
    expect(cidataDigest(cidataConfig({ ...request, docker: true }))).not.toBe(cidataDigest(config))
    expect(cidataDigest(cidataConfig({ ...request, instanceId: 'other' }))).not.toBe(cidataDigest(config))
    expect(cidataDigest(cidataConfig({ ...request, dns: ['9.9.9.9'] }))).not.toBe(cidataDigest(config))
  })

  it.each([
    [{ instanceId: '' }, /^instanceId: is required/],
    [{ instanceId: 'has space' }, /^instanceId: /],
    [{ instanceId: '../etc' }, /^instanceId: /],
    [{ instanceId: 'tab\there' }, /^instanceId: /],
    [{ mac: '52:54:00:ab:cd' }, /^mac: expected six hex pairs/],
    [{ mac: '52-54-00-ab-cd-ef' }, /^mac: /],
    [{ mac: '01:00:5e:00:00:01' }, /^mac: .*multicast/],
    [{ mac: '00:00:00:00:00:00' }, /^mac: cannot be all zeros/],
    [{ address: '172.30.0.2' }, /^address: expected an IPv4 address with a prefix length/],
    [{ address: '172.30.0.2/33' }, /^address: prefix length must be from 1 to 30/],
    [{ address: '172.30.0.0/24' }, /^address: .*network address/],
    [{ address: '172.30.0.255/24' }, /^address: .*broadcast address/],
    [{ address: '172.30.0.256/24' }, /^address: "172.30.0.256" is not an IPv4 address/],
    [{ address: '172.030.0.2/24' }, /^address: /],
    [{ gateway: '172.31.0.1' }, /^gateway: 172.31.0.1 is not a host of the guest's subnet 172.30.0.2\/24/],
    [{ gateway: '172.30.0.2' }, /^gateway: .*own address/],
    [{ gateway: '172.30.0.255' }, /^gateway: /],
    [{ gateway: 'router' }, /^gateway: "router" is not an IPv4 address/],
    [{ dns: ['1.1.1.1', 'dns.google'] }, /^dns: "dns.google" is not an IP address/]
  ] as Array<[Partial<CidataRequest>, RegExp]>)('refuses %j, naming the field', (change, message) => {
    expect(() => cidataConfig({ ...request, ...change })).toThrow(message)
  })
})

describeWithPrograms([...fatInspectPrograms], 'cloud-init disk', () => {
  const tempDir = useTempDirs()

  it('holds meta-data, user-data and network-config under their long names, label CIDATA, fsck clean', async () => {
    const work = await tempDir()
    const out = join(work, 'cidata.img')
    await buildCidataDisk({ ...request, out, dns: ['9.9.9.9'] })

    await fsckFat(out)
    expect(await blkidLabel(out)).toBe('CIDATA')
    const extracted = join(work, 'extracted')
    await mkdir(extracted)
    await extractFat(out, extracted)
    expect((await readdir(extracted)).sort()).toEqual(['meta-data', 'network-config', 'user-data'])
    const read = (name: string) => readFile(join(extracted, name), 'utf8')
    expect(asCloudInit(await read('meta-data'))).toEqual({ 'instance-id': 'bpvm-7' })
    const network = asCloudInit(await read('network-config')) as NetworkDoc
    expect(Object.values(network.ethernets)[0]?.match.macaddress).toBe('52:54:00:ab:cd:0f')
    expect(Object.values(network.ethernets)[0]?.nameservers.addresses).toEqual(['9.9.9.9'])
    expect(await read('user-data')).toBe(userData({ docker: false, graceSeconds: 10 }))
  })

  it('writes nothing when the request is invalid', async () => {
    const work = await tempDir()
    await expect(buildCidataDisk({ ...request, mac: 'nope', out: join(work, 'cidata.img') })).rejects.toThrow(/^mac:/)
    await expect(buildCidataDisk({ ...request, out: join(work, 'missing', 'cidata.img') })).rejects.toThrow(/^out: directory .* does not exist/)
    expect(await readdir(work)).toEqual([])
  })
})
