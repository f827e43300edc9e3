// Per-launch root-disk preparation, the reference's way (convert the cached compressed cloud
// image to raw, then grow it to 20 GiB) against ours (a qcow2 overlay on a base converted once).
// The stand-in image is ~600 MiB compressed with random-ish content like a real cloud image's,
// made once and kept in .bench-tmp/launch-disk/.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { convertImage, imageInfo, resizeImage } from '../src/main/runtime/disk/qemuImg'
import { formatSize } from '../src/shared/sizes'
import { createRootOverlay } from '../src/main/runtime/image/rootDisk'
import { roundsTable, settleDisks, timed, warmMedian, type RoundsRow } from './benchRounds'

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

/** Makes the stand-in image if it is missing and converts the base (not counted per launch); returns what it made, for the report. */
export async function prepareRootDisks(): Promise<string> {
  await mkdir(launchDir, { recursive: true })
  if (!existsSync(cloudImage)) {
    console.log('making the stand-in cloud image (once; kept for later runs)…')
    console.log(`  ${(await timed(makeCloudImage)).toFixed(0)} ms`)
  }
  await rm(base, { force: true })
  const baseMs = await timed(() => convertImage({ source: cloudImage, sourceFormat: 'qcow2', target: base, targetFormat: 'qcow2' }))
  const info = await imageInfo(cloudImage)
  return (
    `cloud image: ${formatSize((await stat(cloudImage)).size)} compressed qcow2, ${formatSize(info.virtualSizeBytes)} virtual; ` +
    `base qcow2 made once in ${baseMs.toFixed(0)} ms (${formatSize((await stat(base)).size)})`
  )
}

export interface RootDiskRound {
  reference: number
  overlay: number
}

/** One turn of each contender, each after `sync`; their disks are deleted untimed. */
export async function rootDiskRound(): Promise<RootDiskRound> {
  const raw = join(launchDir, 'root.raw')
  await settleDisks()
  const reference = await timed(async () => {
    await convertImage({ source: cloudImage, sourceFormat: 'qcow2', target: raw, targetFormat: 'raw' })
    await resizeImage(raw, 'raw', ROOT_BYTES)
  })
  await rm(raw)
  const root = join(launchDir, 'root.qcow2')
  await settleDisks()
  const overlay = await timed(() => createRootOverlay({ base, path: root, sizeBytes: ROOT_BYTES }))
  await rm(root)
  return { reference, overlay }
}

/** The table and the ratio of the warm medians. */
export function rootDiskReport(rounds: RootDiskRound[]): string {
  const rows: RoundsRow[] = [
    { label: 'reference: `qemu-img convert -O raw` + `resize 20G`', samples: rounds.map((r) => r.reference) },
    { label: 'bpvm: overlay on the base (`createRootOverlay`)', samples: rounds.map((r) => r.overlay) }
  ]
  const ratio = warmMedian(rows[0]!) / warmMedian(rows[1]!)
  return `${roundsTable('per launch', rows, 1)}\n\nratio reference / overlay (warm medians): **${ratio.toFixed(0)}×**`
}

/** Only the stand-in cloud image is worth keeping between runs. */
export async function removeRootDisks(): Promise<void> {
  await Promise.all([rm(launchDir, { recursive: true, force: true }), rm(base, { force: true })])
}
