import { stat } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { setTimeout as sleep } from 'node:timers/promises'
import { BpvmError } from '../../../../shared/errors'
import { readLog } from '../../instance/logs/readLog'
import type { Accel } from './qemuHost'

/**
 * Follows a guest's serial log file. A guest that never prints (a nested KVM guest that hangs
 * before its kernel runs, a wrong `console=`) is reported as GUEST_SILENT instead of waited on.
 */

const POLL_MS = 20

export interface WatchOptions {
  /** Stops the wait early; it fails with the signal's reason. */
  signal?: AbortSignal
}

/** When the file first held a byte (epoch ms, to within one poll), or undefined if not within `timeoutMs`. */
export async function firstSerialByteAt(path: string, timeoutMs: number, { signal }: WatchOptions = {}): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const size = (await stat(path).catch(() => undefined))?.size ?? 0
    const now = Date.now()
    // Looked at before the abort: a guest that printed and then stopped did print.
    if (size > 0) return now
    stopIfAborted(signal)
    if (now >= deadline) return undefined
    await pause(Math.min(POLL_MS, deadline - now), signal)
  }
}

export interface BootWatchOptions extends WatchOptions {
  accel: Accel
  /** When the VMM was spawned (epoch ms): the silence is counted from here. */
  launchedAt: number
  silentAfterMs: number
}

export interface FirstSerialByte {
  /** Epoch ms of the first byte seen. */
  at: number
  /** Spawn → first serial byte. */
  afterMs: number
}

/** Resolves once the guest has printed something; GUEST_SILENT once `silentAfterMs` passed without a byte. */
export async function watchBoot(path: string, options: BootWatchOptions): Promise<FirstSerialByte> {
  const remaining = Math.max(0, options.launchedAt + options.silentAfterMs - Date.now())
  const at = await firstSerialByteAt(path, remaining, options)
  if (at !== undefined) return { at, afterMs: at - options.launchedAt }
  const seconds = options.silentAfterMs / 1000
  throw new BpvmError('GUEST_SILENT', `the guest printed nothing within ${seconds} s (accelerator: ${options.accel})`, {
    accel: options.accel,
    seconds,
    serialLog: path
  })
}

export type SerialMatch = RegExp | ((line: string) => boolean)

/**
 * Resolves with the first complete line of the log, already written or still to come, that
 * matches; fails with SERIAL_TIMEOUT after `timeoutMs`. Carriage returns are dropped.
 */
export async function waitForSerial(path: string, match: SerialMatch, timeoutMs: number, { signal }: WatchOptions = {}): Promise<string> {
  const test = typeof match === 'function' ? match : (line: string) => match.test(line)
  const deadline = Date.now() + timeoutMs
  let decoder = new StringDecoder('utf8')
  let offset = 0
  let partial = ''
  let lastLine = ''
  for (;;) {
    stopIfAborted(signal)
    const chunk = await readLog(path, { offset })
    // Rotated or truncated: the chunk starts the new file, so nothing carries over.
    if (chunk.rotated) {
      partial = ''
      decoder = new StringDecoder('utf8')
    }
    offset = chunk.nextOffset
    const lines = (partial + decoder.write(chunk.data)).split('\n')
    partial = lines.pop() ?? ''
    for (const raw of lines) {
      const line = raw.replaceAll('\r', '')
      if (test(line)) return line
      if (line.trim() !== '') lastLine = line
    }
    if (Date.now() >= deadline) {
      const what = typeof match === 'function' ? 'expected line' : `line matching ${String(match)}`
      throw new BpvmError('SERIAL_TIMEOUT', `no ${what} on the serial console within ${timeoutMs / 1000} s (last line: ${lastLine || 'none'})`, {
        serialLog: path,
        lastLine
      })
    }
    if (chunk.data.length === 0) await pause(Math.min(POLL_MS, deadline - Date.now()), signal)
  }
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason
}

/** Sleeps, waking early when `signal` aborts. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(Math.max(0, ms), undefined, signal ? { signal } : {}).catch(() => undefined)
}
