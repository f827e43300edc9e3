import { z } from 'zod'

/**
 * What a console hub and its clients say to each other over the hub's Unix socket: one JSON
 * object a line; the terminal's bytes travel as base64 (they are any bytes, not text).
 */
export const clientFrameSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('in'), d: z.string().max(1 << 20) }),
  z.object({ t: z.literal('size'), rows: z.number().int().min(1).max(1000), cols: z.number().int().min(1).max(1000) })
])
export type ClientFrame = z.infer<typeof clientFrameSchema>

export type HubFrame =
  /** On connecting: the last of what the console printed, so a new viewer sees the screen as it is. */
  | { t: 'screen'; d: string }
  | { t: 'out'; d: string }
  /** The console went (the VM stopped); the hub closes the connection after it. */
  | { t: 'end'; reason: string }

export const frameLine = (frame: ClientFrame | HubFrame): string => `${JSON.stringify(frame)}\n`

/** Splits a stream into lines, handing each whole one to `onLine`; at most `maxLine` bytes are kept waiting. */
export function lineReader(onLine: (line: string) => void, maxLine = 2 << 20): (chunk: Buffer) => boolean {
  let pending = ''
  return (chunk) => {
    pending += chunk.toString('utf8')
    let at: number
    while ((at = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, at)
      pending = pending.slice(at + 1)
      if (line !== '') onLine(line)
    }
    return pending.length <= maxLine
  }
}
