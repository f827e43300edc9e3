import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { applyNft, listNftTable, nftError } from '../../src/main/runtime/net/nftCommand'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'

describe('nft failures a user can act on', () => {
  it('says how to grant CAP_NET_ADMIN when nft is refused', () => {
    // What nft 1.0.6 prints when run without CAP_NET_ADMIN.
    const error = nftError({}, 'list table', {
      stderr: 'Operation not permitted (you must be root)\nnetlink: Error: cache initialization failed: Operation not permitted\n',
      exitCode: 1
    })
    expect(error.code).toBe('NET_ADMIN_REQUIRED')
    expect(error.message).toContain('run bpvm as root')
    expect(error.message).toContain('setcap cap_net_admin+ep')
  })

  it('says root is needed when entering a namespace is refused', () => {
    // What `ip netns exec` prints for an unprivileged user.
    const error = nftError({ netns: 'x' }, 'apply', { stderr: 'setting the network namespace "x" failed: Operation not permitted\n', exitCode: 255 })
    expect(error.code).toBe('NET_ADMIN_REQUIRED')
    expect(error.message).toContain('root')
  })
})

describeAsRoot('nft through its one door', () => {
  describeWithPrograms(['nft', 'ip'], 'nft in a network namespace', () => {
    const netns = useNetns()
    const savedPath = process.env.PATH
    const tempDirs: string[] = []
    afterEach(async () => {
      await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
    })

    it('lists a missing table as empty, and a present one as JSON objects', async () => {
      const ns = await netns.create()
      expect(await listNftTable({ netns: ns }, 'inet', 'tangle_router')).toEqual([])
      await applyNft({ netns: ns }, [{ add: { table: { family: 'inet', name: 'tangle_router' } } }])
      expect(await listNftTable({ netns: ns }, 'inet', 'tangle_router')).toEqual([{ table: { family: 'inet', name: 'tangle_router', handle: expect.any(Number) } }])
    })

    it('applies a batch all or nothing, and carries nft stderr into NFT_FAILED', async () => {
      const ns = await netns.create()
      const error = await applyNft({ netns: ns }, [
        { add: { table: { family: 'inet', name: 'keep_out' } } },
        { delete: { rule: { family: 'inet', table: 'keep_out', chain: 'NOPE', handle: 999 } } }
      ]).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'NFT_FAILED', details: { program: 'nft', stderr: expect.stringContaining('No such file or directory') } })
      expect((error as Error).message).toContain('No such file or directory')
      expect(await listNftTable({ netns: ns }, 'inet', 'keep_out')).toEqual([])
    })

    it('refuses names nft would parse as more than a name', async () => {
      const ns = await netns.create()
      await expect(listNftTable({ netns: ns }, 'inet', 'x; flush ruleset')).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'table' } })
      await expect(listNftTable({ netns: '-n' }, 'inet', 'x')).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'netns' } })
    })

    it('reports a missing nft as PROGRAM_NOT_FOUND with the package to install', async () => {
      const ns = await netns.create()
      const emptyDir = await mkdtemp(join(tmpdir(), 'bpvm-nopath-'))
      const onlyIp = await mkdtemp(join(tmpdir(), 'bpvm-onlyip-'))
      tempDirs.push(emptyDir, onlyIp)
      await symlink(execFileSync('sh', ['-c', 'command -v ip']).toString().trim(), join(onlyIp, 'ip'))

      try {
        process.env.PATH = emptyDir
        await expect(listNftTable({}, 'inet', 'tangle_router')).rejects.toMatchObject({ code: 'PROGRAM_NOT_FOUND', message: expect.stringContaining('nftables') })
        // Through `ip netns exec`, the missing program is reported by ip rather than by the spawn.
        process.env.PATH = onlyIp
        await expect(listNftTable({ netns: ns }, 'inet', 'tangle_router')).rejects.toMatchObject({ code: 'PROGRAM_NOT_FOUND', message: expect.stringContaining('nftables') })
      } finally {
        process.env.PATH = savedPath
      }
    })
  })
})
