import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { buildInChild } from '../../support/fatBuildChildRunner'
import { fatInspectPrograms, fsckFat } from '../../support/fatInspect'
import { makeTempDir, removeDir } from '../../support/hostTrees'
import { describeAsRoot, describeWithPrograms } from '../../support/prerequisites'

const run = promisify(execFile)
let work: string
beforeEach(async () => {
  work = await makeTempDir()
})
afterEach(async () => {
  await removeDir(work)
})

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

describeWithPrograms([...fatInspectPrograms], 'FAT32 writer streams big files', () => {
  it('copies a 1 GiB binary with bounded memory, byte for byte', async () => {
    // Sparse, with real data every 128 MiB: both the copy path and the hole-skipping path run.
    const source = join(work, 'service.bin')
    const file = await open(source, 'w')
    await file.truncate(1024 ** 3)
    for (let at = 0; at < 1024 ** 3; at += 128 * 1024 * 1024) await file.write(randomBytes(1024 * 1024), 0, 1024 * 1024, at)
    await file.close()

    const image = join(work, 'big.img')
    const { outcome } = await buildInChild([image, source])
    expect(outcome.ok).toBe(true)
    expect(outcome.report?.payloadBytes).toBe(1024 ** 3)
    // The whole process (Node, tsx, the worker): far below the file's size.
    expect(outcome.maxRssKiB).toBeLessThan(300 * 1024)
    await fsckFat(image)
    const back = join(work, 'back.bin')
    await run('mcopy', ['-n', '-i', image, '::/service.bin', back], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } })
    expect(await sha256(back)).toBe(await sha256(source))
  })
})

/** Runs the child build with its output directory on a fresh tmpfs mounted with `options`, in a private mount namespace. */
async function buildOnTmpfs(options: string, source: string): Promise<{ code?: string; message?: string; left: string }> {
  const mountPoint = join(work, 'mnt')
  await mkdir(mountPoint)
  const wrapper = ['unshare', '-m', 'sh', '-c', 'dir=$1; opts=$2; shift 2; mount -t tmpfs -o "$opts" tmpfs "$dir" && "$@"; echo "LEFT:$(ls -A "$dir")"', 'sh', mountPoint, options]
  const { outcome, stdout } = await buildInChild([join(mountPoint, 'service.img'), source], wrapper)
  const left = stdout.split('\n').find((l) => l.startsWith('LEFT:'))?.slice('LEFT:'.length) ?? 'no listing'
  return { code: outcome.error?.code, message: outcome.error?.message, left }
}

describeAsRoot('FAT32 writer on a full or read-only disk', () => {
  it('reports a full disk and removes the partial image', async () => {
    const source = join(work, 'service.bin')
    await writeFile(source, randomBytes(8 * 1024 * 1024))
    const result = await buildOnTmpfs('size=2m', source)
    expect(result.code).toBe('DISK_FULL')
    expect(result.message).toMatch(/^out: no space left/)
    expect(result.left).toBe('')
  })

  it('reports a read-only output directory, naming the field', async () => {
    const source = join(work, 'service.bin')
    await writeFile(source, 'x')
    const result = await buildOnTmpfs('ro', source)
    expect(result.code).toBe('OUTPUT_NOT_WRITABLE')
    expect(result.message).toMatch(/^out: cannot write/)
    expect(result.left).toBe('')
    expect(await readdir(join(work, 'mnt'))).toEqual([])
  })
})
