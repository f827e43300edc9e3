// Per-launch root-disk preparation, side by side, median of 5: the reference's way (convert the
// cached compressed cloud image to raw, then grow it to 20 GiB) against ours (a qcow2 overlay on a
// base converted once). The stand-in image is ~600 MiB compressed with random-ish content like a
// real cloud image's, made once and kept in .bench-tmp/launch-disk/.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { convertImage, imageInfo, resizeImage } from '../src/main/runtime/disk/qemuImg'
import { formatSize } from '../src/main/runtime/disk/parseSize'
import { createRootOverlay } from '../src/main/runtime/image/rootDisk'

const RUNS = 5
const MiB = 2 ** 20
const ROOT_BYTES = 20 * 2 ** 30
// Like noble's image: 3.5 GiB virtual, about 1.2 GiB of it written.
const VIRTUAL_BYTES = 3.5 * 2 ** 30
const DATA_CHUNKS = 1200
const work = join(process.cwd(), '.bench-tmp', 'launch-disk')
const cloudImage = join(work, 'cloudimg.qcow2')
const base = join(work, 'base.qcow2')
const launchDir = join(work, 'launch')

/** Half of each MiB incompressible, half text-like, spread over the disk with holes between: compresses to ~600 MiB. */
async function makeCloudImage(): Promise<void> {
  const raw = join(work, 'source.raw')
  const file = await open(raw, 'w')
  const text = Buffer.from('Jan 01 00:00:00 ubuntu systemd[1]: Started Session 1 of User ubuntu.\n'.repeat(8192)).subarray(0, MiB / 2)
  try {
    await file.truncate(VIRTUAL_BYTES)
    const stride = Math.floor(VIRTUAL_BYTES / MiB / DATA_CHUNKS)
    for (let i = 0; i < DATA_CHUNKS; i += 1) {
      await file.write(Buffer.concat([randomBytes(MiB / 2), text]), 0, MiB, i * stride * MiB)
    }
  } finally {
    await file.close()
  }
  await convertImage({ source: raw, sourceFormat: 'raw', target: cloudImage, targetFormat: 'qcow2', compress: true })
  await rm(raw)
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function main(): Promise<void> {
  await mkdir(launchDir, { recursive: true })
  if (!existsSync(cloudImage)) {
    console.log('making the stand-in cloud image (once; kept for later runs)…')
    console.log(`  ${(await timed(makeCloudImage)).toFixed(0)} ms`)
  }
  await rm(base, { force: true })
  const baseMs = await timed(() => convertImage({ source: cloudImage, sourceFormat: 'qcow2', target: base, targetFormat: 'qcow2' }))
  const info = await imageInfo(cloudImage)
  console.log(
    `cloud image: ${formatSize((await stat(cloudImage)).size)} compressed qcow2, ${formatSize(info.virtualSizeBytes)} virtual; ` +
      `base qcow2 made once in ${baseMs.toFixed(0)} ms (${formatSize((await stat(base)).size)})`
  )

  const reference: number[] = []
  const overlay: number[] = []
  for (let run = 0; run < RUNS; run += 1) {
    const raw = join(launchDir, 'root.raw')
    reference.push(
      await timed(async () => {
        await convertImage({ source: cloudImage, sourceFormat: 'qcow2', target: raw, targetFormat: 'raw' })
        await resizeImage(raw, 'raw', ROOT_BYTES)
      })
    )
    await rm(raw)
    const root = join(launchDir, 'root.qcow2')
    overlay.push(await timed(() => createRootOverlay({ base, path: root, sizeBytes: ROOT_BYTES })))
    await rm(root)
  }

  const show = (values: number[]): string => values.map((v) => v.toFixed(1)).join(' ')
  console.log(`reference: convert -O raw + resize 20G   median ${median(reference).toFixed(1).padStart(8)} ms   runs ${show(reference)}`)
  console.log(`ours: qcow2 overlay on the base (20G)     median ${median(overlay).toFixed(1).padStart(8)} ms   runs ${show(overlay)}`)
  console.log(`ratio reference / overlay: ${(median(reference) / median(overlay)).toFixed(0)}x`)
}

try {
  await main()
} finally {
  // Only the stand-in cloud image is worth keeping between runs.
  await Promise.all([rm(launchDir, { recursive: true, force: true }), rm(base, { force: true })])
}
