import { randomBytes } from 'node:crypto'
import { link, mkdir, readdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { launchScript } from '../../src/main/runtime/disk/launchScript'
import { buildServiceDisk, type ServiceDiskRequest } from '../../src/main/runtime/disk/serviceDisk'
import { serviceArguments, serviceEnvironment, type ServiceEnvInput } from '../../src/main/runtime/disk/serviceEnv'
import { blkidLabel, extractFat, fatInspectPrograms, fsckFat } from '../support/fatInspect'
import { describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'
import { digestTree } from '../support/hostTrees'

const env: ServiceEnvInput = { httpRpcUrl: 'http://10.1.0.1:9944', wsRpcUrl: 'ws://10.1.0.1:9944', blueprintId: 1, serviceId: 2, protocol: 'tangle' }
const args = { pretty: true, extraArgs: [['--name', 'svc one']] as Array<[string, string]> }

/** A keystore with nesting, an empty directory, long and mixed-case names, and binary content. */
async function makeKeystore(root: string): Promise<string> {
  const ks = join(root, 'keystore')
  await mkdir(join(ks, 'ecdsa'), { recursive: true })
  await mkdir(join(ks, 'sr25519', 'deeply', 'nested'), { recursive: true })
  await mkdir(join(ks, 'empty-directory'))
  await writeFile(join(ks, 'ecdsa', '0123456789abcdef0123456789abcdef-operator-key.json'), '{"secret":"0xabc"}\n')
  await writeFile(join(ks, 'sr25519', 'deeply', 'nested', 'Key With Spaces.bin'), randomBytes(70_000))
  await writeFile(join(ks, 'sr25519', 'SHORT.TXT'), 'short')
  await writeFile(join(ks, 'empty-file'), '')
  return ks
}

describeWithPrograms([...fatInspectPrograms], 'service disk', () => {
  const tempDir = useTempDirs()

  async function setup(): Promise<{ work: string; binary: string; out: string; request: ServiceDiskRequest }> {
    const work = await tempDir()
    const binary = join(work, 'blueprint-bin')
    await writeFile(binary, randomBytes(300_000), { mode: 0o755 })
    const outDir = join(work, 'out')
    await mkdir(outDir)
    const out = join(outDir, 'service.img')
    return { work, binary, out, request: { binary, env, args, out } }
  }

  it('holds /service, /launch and the exact keystore tree, and passes fsck.fat with label SERVICEDISK', async () => {
    const { work, binary, out, request } = await setup()
    const keystore = await makeKeystore(work)

    const report = await buildServiceDisk({ ...request, keystore })

    expect(report.path).toBe(out)
    await fsckFat(out)
    expect(await blkidLabel(out)).toBe('SERVICEDISK')
    const extracted = join(work, 'extracted')
    await mkdir(extracted)
    await extractFat(out, extracted)
    expect((await readdir(extracted)).sort()).toEqual(['keystore', 'launch', 'service'])
    expect(await readFile(join(extracted, 'service'))).toEqual(await readFile(binary))
    expect(await readFile(join(extracted, 'launch'), 'utf8')).toBe(launchScript(serviceEnvironment(env), serviceArguments(args)))
    expect(await digestTree(join(extracted, 'keystore'))).toEqual(await digestTree(keystore))
  })

  it('has an empty /keystore when no keystore is given', async () => {
    const { work, out, request } = await setup()
    await buildServiceDisk(request)
    const extracted = join(work, 'extracted')
    await mkdir(extracted)
    await extractFat(out, extracted)
    expect(await digestTree(extracted)).toMatchObject({ keystore: 'dir' })
    expect(await readdir(join(extracted, 'keystore'))).toEqual([])
    await fsckFat(out)
  })

  describe('refuses bad input with an error naming the field, leaving no file behind', () => {
    async function expectRefused(change: (s: Awaited<ReturnType<typeof setup>>) => Promise<Partial<ServiceDiskRequest>>, message: RegExp) {
      const s = await setup()
      const request = { ...s.request, ...(await change(s)) }
      await expect(buildServiceDisk(request)).rejects.toThrow(message)
      expect(await readdir(join(s.work, 'out'))).toEqual([])
    }

    it('a missing binary', () => expectRefused(async ({ work }) => ({ binary: join(work, 'nope') }), /^binary: .*nope does not exist/))

    it('a directory as the binary', () => expectRefused(async ({ work }) => ({ binary: work }), /^binary: .* is a directory/))

    it('a binary over 4 GiB − 1 (sparse 5 GiB file)', () =>
      expectRefused(async ({ work }) => {
        const big = join(work, 'big')
        await writeFile(big, '')
        await truncate(big, 5 * 2 ** 30)
        return { binary: big }
      }, /^binary: .*big is 5368709120 bytes; a FAT32 disk holds files up to 4 GiB/))

    it('an empty binary (0 bytes)', () =>
      expectRefused(async ({ work }) => {
        await writeFile(join(work, 'empty'), '')
        return { binary: join(work, 'empty') }
      }, /^binary: .*empty is empty \(0 bytes\)/))

    it('a keystore file over 4 GiB − 1', () =>
      expectRefused(async ({ work }) => {
        const ks = await makeKeystore(work)
        await writeFile(join(ks, 'ecdsa', 'huge'), '')
        await truncate(join(ks, 'ecdsa', 'huge'), 5 * 2 ** 30)
        return { keystore: ks }
      }, /^keystore: .*huge is 5368709120 bytes/))

    it('a symlink inside the keystore', () =>
      expectRefused(async ({ work, binary }) => {
        const ks = await makeKeystore(work)
        await symlink(binary, join(ks, 'sr25519', 'link'))
        return { keystore: ks }
      }, /^keystore: .*link is a symbolic link/))

    it('a keystore file with another hard link (perhaps from outside the tree)', () =>
      expectRefused(async ({ work }) => {
        const ks = await makeKeystore(work)
        await writeFile(join(work, 'secret-outside'), 'not for the guest')
        await link(join(work, 'secret-outside'), join(ks, 'ecdsa', 'linked'))
        return { keystore: ks }
      }, /^keystore: .*linked has 2 hard links, so it may be a file from outside the tree/))

    it('a keystore that is a file', () => expectRefused(async ({ binary }) => ({ keystore: binary }), /^keystore: .* is not a directory/))

    it('a missing keystore', () => expectRefused(async ({ work }) => ({ keystore: join(work, 'no-keys') }), /^keystore: .*no-keys does not exist/))

    it('an invalid env name', () => expectRefused(async () => ({ env: { ...env, extraEnv: [['MY-VAR', '1']] } }), /^env\.extraEnv: "MY-VAR" is not a variable name/))

    it('a NUL in an env value', () => expectRefused(async () => ({ env: { ...env, extraEnv: [['V', 'a\0b']] } }), /^env\.extraEnv: the value of V contains a NUL/))

    it('a NUL in an argument', () => expectRefused(async () => ({ args: { extraArgs: [['--k', '\0']] } }), /^args\.extraArgs: the value of "--k" contains a NUL/))

    it('an output directory that does not exist', () =>
      expectRefused(async ({ work }) => ({ out: join(work, 'missing-dir', 'x.img') }), /^out: directory .*missing-dir does not exist/))

    it('an output path under a file', () => expectRefused(async ({ binary }) => ({ out: join(binary, 'x.img') }), /^out: .*blueprint-bin is not a directory/))

    it('an output path that is a directory', () => expectRefused(async ({ work }) => ({ out: join(work, 'out') }), /^out: .* is a directory/))
  })

  it('leaves an existing image untouched when the new build is refused', async () => {
    const { work, out, request } = await setup()
    await writeFile(out, 'previous image')
    await expect(buildServiceDisk({ ...request, binary: join(work, 'gone') })).rejects.toThrow(/^binary:/)
    expect(await readFile(out, 'utf8')).toBe('previous image')
  })
})
