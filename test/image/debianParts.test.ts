import { execFile } from 'node:child_process'
import { mkdir, readFile, readlink, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ext4FromTree } from '../../src/main/runtime/disk/mke2fs'
import { mbrSector, writeMbr } from '../../src/main/runtime/disk/mbrPartition'
import { checkIncludes, checkMirror, checkSuite, debianInputs, parseAptSources } from '../../src/main/runtime/image/debian/debianInputs'
import { parseDpkgStatus } from '../../src/main/runtime/image/debian/dpkgStatus'
import { guestTreeFiles, writeGuestTreeFiles } from '../../src/main/runtime/image/debian/guestTreeFiles'
import { writeTreeFile, writeTreeLink } from '../../src/main/runtime/image/debian/treeWriter'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

const run = promisify(execFile)

describe('MBR with one Linux partition', () => {
  it('puts the entry, the disk signature and the boot signature where the format says', () => {
    const sector = mbrSector({ startSector: 2048, sectorCount: 6_291_456, diskSignature: 0xdeadbeef })
    expect(sector.length).toBe(512)
    expect(sector.readUInt32LE(440)).toBe(0xdeadbeef)
    expect(sector[446 + 4]).toBe(0x83)
    expect(sector.readUInt32LE(446 + 8)).toBe(2048)
    expect(sector.readUInt32LE(446 + 12)).toBe(6_291_456)
    // The other three entries are empty.
    expect(sector.subarray(462, 510).every((b) => b === 0)).toBe(true)
    expect([sector[510], sector[511]]).toEqual([0x55, 0xaa])
  })

  it.each([
    [{ startSector: 0 }, /^startSector: /],
    [{ sectorCount: 0 }, /^sectorCount: /],
    [{ sectorCount: 2 ** 32 }, /^sectorCount: .*2 TiB/],
    [{ diskSignature: -1 }, /^diskSignature: /]
  ])('refuses %j, naming the field', (change, message) => {
    expect(() => mbrSector({ startSector: 2048, sectorCount: 4096, diskSignature: 1, ...change })).toThrow(message)
  })
})

describe('what the Debian build takes as input', () => {
  it('reads the Debian archive out of one-line and deb822 apt sources', () => {
    expect(parseAptSources('# comment\ndeb [signed-by=/k.gpg] http://deb.debian.org/debian bookworm main\ndeb-src http://x/debian bookworm main\n', false)).toEqual([
      { uri: 'http://deb.debian.org/debian', suites: ['bookworm'] }
    ])
    const deb822 = 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\n\nTypes: deb\nEnabled: no\nURIs: http://off/debian\nSuites: bookworm\n'
    expect(parseAptSources(deb822, true)).toEqual([
      { uri: 'http://deb.debian.org/debian', suites: ['bookworm', 'bookworm-updates'] },
      { uri: 'http://security.debian.org/debian-security', suites: ['bookworm-security'] }
    ])
  })

  it('checks suite, mirror and packages, naming the field', async () => {
    expect(checkSuite('trixie')).toBe('trixie')
    expect(() => checkSuite('../x')).toThrow(/^suite: /)
    expect(checkMirror('http://127.0.0.1:8080/debian/')).toBe('http://127.0.0.1:8080/debian')
    expect(() => checkMirror('ftp://x/debian')).toThrow(/^mirror: only http and https/)
    expect(() => checkMirror('http://user:pw@x/debian')).toThrow(/^mirror: .*credentials/)
    expect(checkIncludes(['socat', 'curl', 'socat'])).toEqual(['curl', 'socat'])
    expect(() => checkIncludes(['--allow-unauthenticated'])).toThrow(/^include: "--allow-unauthenticated" is not a Debian package name/)
    const inputs = await debianInputs({ mirror: 'http://127.0.0.1:9/debian', include: ['socat'] })
    expect(inputs.packages).toContain('socat')
    expect(inputs.packages).toContain('cloud-init')
    expect(inputs.packages).toEqual([...inputs.packages].sort())
    expect(inputs.include).toEqual(['socat'])
  })

  it('reads installed packages and their versions from a dpkg status file', () => {
    const status = 'Package: a\nStatus: install ok installed\nVersion: 1.0\n\nPackage: b\nStatus: deinstall ok config-files\nVersion: 2\n\nPackage: c\nStatus: install ok installed\nVersion: 3:1.2-1\n'
    expect([...parseDpkgStatus(status)]).toEqual([['a', '1.0'], ['c', '3:1.2-1']])
  })
})

describe('writing into a built tree', () => {
  const tempDir = useTempDirs()

  it('never follows a link in the tree: a link at the path is replaced, a linked directory is refused', async () => {
    const outside = await tempDir()
    const tree = await tempDir()
    await writeFile(join(outside, 'hosts'), 'the host file')
    await mkdir(join(tree, 'etc'))
    // What mmdebstrap leaves: absolute links that point at the host when seen from outside.
    await symlink(join(outside, 'hosts'), join(tree, 'etc', 'hosts'))
    await symlink(outside, join(tree, 'linked'))
    await writeTreeFile(tree, 'etc/hosts', 'the guest file\n')
    expect(await readFile(join(tree, 'etc', 'hosts'), 'utf8')).toBe('the guest file\n')
    expect(await readFile(join(outside, 'hosts'), 'utf8')).toBe('the host file')
    await expect(writeTreeFile(tree, 'linked/evil', 'x')).rejects.toThrow(/not a directory \(a link\?\); refusing/)
    await expect(writeTreeLink(tree, 'linked/evil', '/dev/null')).rejects.toThrow(/refusing/)
    await expect(writeTreeFile(tree, '../escape', 'x')).rejects.toThrow(/not a path inside the tree/)
    await writeTreeLink(tree, 'etc/systemd/system/fstrim.timer', '/dev/null')
    expect(await readlink(join(tree, 'etc/systemd/system/fstrim.timer'))).toBe('/dev/null')
  })

  it('adds bpvm\'s files: root by label, NoCloud only, online once the IPv4 route is there, the timers masked', async () => {
    const tree = await tempDir()
    await writeGuestTreeFiles(tree)
    expect(await readFile(join(tree, 'etc/fstab'), 'utf8')).toBe('LABEL=bpvm-root / ext4 defaults,errors=remount-ro 0 1\n')
    expect(await readFile(join(tree, 'etc/cloud/cloud.cfg.d/90-bpvm.cfg'), 'utf8')).toMatch(/^datasource_list: \[ NoCloud, None \]$/m)
    expect(await readFile(join(tree, 'etc/systemd/system/systemd-networkd-wait-online.service.d/bpvm.conf'), 'utf8')).toContain('ExecStart=/bin/sh /usr/local/lib/bpvm/wait-online')
    expect(await readFile(join(tree, 'usr/local/lib/bpvm/wait-online'), 'utf8')).toContain('ip -4 route show default')
    expect(await readlink(join(tree, 'etc/systemd/system/apt-daily.timer'))).toBe('/dev/null')
    expect(await readlink(join(tree, 'etc/resolv.conf'))).toBe('../run/systemd/resolve/stub-resolv.conf')
    expect(guestTreeFiles().filter((f) => f.path.includes('..'))).toEqual([])
  })
})

describeWithPrograms(['mke2fs', 'e2fsck', 'debugfs', 'partx'], 'a root disk from a tree, without loop devices or mounts', () => {
  const tempDir = useTempDirs()

  it('makes an ext4 partition behind an MBR that partx, e2fsck and debugfs read back', async () => {
    const work = await tempDir()
    const tree = join(work, 'tree')
    await mkdir(join(tree, 'etc', 'deep', 'er'), { recursive: true })
    await writeFile(join(tree, 'etc', 'deep', 'er', 'file'), 'content\n')
    await symlink('/etc/deep/er/file', join(tree, 'link'))
    const image = join(work, 'root.raw')
    const fsBytes = 64 * 2 ** 20
    await ext4FromTree({ tree, image, offsetBytes: 2 ** 20, sizeBytes: fsBytes, label: 'bpvm-root' })
    await writeMbr(image, { startSector: 2048, sectorCount: fsBytes / 512, diskSignature: 0x1234abcd })

    const { stdout: parts } = await run('partx', ['--show', '--noheadings', '-o', 'NR,START,SECTORS,TYPE,UUID', image])
    expect(parts.trim().split(/\s+/)).toEqual(['1', '2048', String(fsBytes / 512), '0x83', '1234abcd-01'])
    const partition = `${image}?offset=${2 ** 20}`
    const fsck = await run('e2fsck', ['-fn', partition])
    expect(fsck.stdout).toMatch(/^bpvm-root: \d+\/\d+ files/m)
    const { stdout: file } = await run('debugfs', ['-R', 'cat /etc/deep/er/file', partition])
    expect(file).toBe('content\n')
    const { stdout: link } = await run('debugfs', ['-R', 'stat /link', partition])
    expect(link).toContain('Fast link dest: "/etc/deep/er/file"')
  })

  it('says which field is wrong and writes nothing for a bad request', async () => {
    const work = await tempDir()
    const image = join(work, 'never.raw')
    await expect(ext4FromTree({ tree: work, image, offsetBytes: 100, sizeBytes: 64 * 2 ** 20, label: 'x' })).rejects.toThrow(/^offsetBytes: /)
    await expect(ext4FromTree({ tree: work, image, offsetBytes: 0, sizeBytes: 64 * 2 ** 20, label: 'has space' })).rejects.toThrow(/^label: /)
    await expect(readFile(image)).rejects.toMatchObject({ code: 'ENOENT' })
    await writeFile(join(work, 'empty.raw'), '')
    await truncate(join(work, 'empty.raw'), 100)
    await expect(writeMbr(join(work, 'empty.raw'), { startSector: 0, sectorCount: 1, diskSignature: 0 })).rejects.toThrow(/^startSector/)
  })
})
