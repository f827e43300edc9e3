// Instances for the log bench: a record and a guest log, all the Logs view needs; no VM runs.
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { once } from 'node:events'
import { instancePaths, writeInstance } from '../src/main/runtime/instance/instanceRecord'

export interface FakeLog {
  name: string
  /** The guest log's path. */
  path: string
  lines: number
  bytes: number
  /** The last line as the viewer shows it (escapes gone). */
  lastLine: string
}

/** A stopped instance `name` (in the BPVM_HOME of this process) whose guest log holds `count` lines made by `line`. */
export async function fakeInstanceWithLog(name: string, count: number, line: (i: number) => string): Promise<FakeLog> {
  const now = new Date().toISOString()
  await writeInstance({
    version: 1, name, vmm: 'qemu', image: 'dev', accel: 'tcg',
    limits: { memoryBytes: 256 * 2 ** 20, vcpus: 1, storageBytes: 2 ** 30 },
    net: { id: 1, tap: 'tap-tngl-1', subnet: '172.30.0.0/30', hostAddress: '172.30.0.1', guestAddress: '172.30.0.2', prefix: 30, egress: 'eth0' },
    phase: 'stopped', outcome: { status: 'Finished', reason: 'bench fixture', at: now }, createdAt: now, updatedAt: now
  })
  const paths = instancePaths(name)
  await mkdir(paths.logs, { recursive: true })
  const out = createWriteStream(paths.serialLog)
  let bytes = 0
  let batch: string[] = []
  for (let i = 0; i < count; i++) {
    batch.push(line(i))
    if (batch.length === 10_000 || i === count - 1) {
      const text = `${batch.join('\n')}\n`
      bytes += Buffer.byteLength(text)
      batch = []
      if (!out.write(text)) await once(out, 'drain')
    }
  }
  out.end()
  await once(out, 'finish')
  // eslint-disable-next-line no-control-regex
  return { name, path: paths.serialLog, lines: count, bytes, lastLine: count > 0 ? line(count - 1).replace(/\x1b\[[0-9;]*m/g, '') : '' }
}

const pad = (i: number): string => String(i).padStart(7, '0')
const GREEN = (text: string): string => `\x1b[32m${text}\x1b[0m`
const YELLOW = (text: string): string => `\x1b[33m${text}\x1b[0m`

/** 16 bytes a line on average, every tenth with a colour: a million of them fit the 16 MiB the viewer loads. */
export const shortLine = (i: number): string => (i % 10 === 0 ? `row ${pad(i)} ${GREEN('ok')}` : `row ${pad(i)} ok`)

/** About 95 bytes, like a service's log line, every tenth a coloured warning. */
export const serviceLine = (i: number): string => {
  const at = new Date(Date.UTC(2025, 10, 28, 12) + i * 7).toISOString()
  const level = i % 10 === 0 ? YELLOW('WARN') : 'INFO'
  return `${at} ${level} blueprint::jobs: job ${pad(i)} handled in ${i % 97} ms (call 0x${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')})`
}
