import type { LogChunk } from '../../../shared/api/logs'
import type { Result } from '../../../shared/result'
import { LineStore, type LineStoreLimits } from './lineStore'

/** Reads up to `maxBytes` of the log from `offset`. */
export type PageReader = (offset: number, maxBytes: number) => Promise<Result<LogChunk>>

export interface EarlierRange {
  /** The log's bytes to read. */
  from: number
  to: number
  /** The start of the line cut at `to` (the text of the page at `to` before its first newline). */
  head: string
  /** The page at `from`, if already read. */
  firstPage?: LogChunk
  limits: LineStoreLimits
  /** Asked after every page: false stops the reading (the view moved on). */
  wanted: () => boolean
}

/**
 * The lines of the log from `from` to `to`, read page by page, ending with the line `head` ends;
 * null if reading failed, the log changed under it (rotated or truncated), or they stopped being
 * wanted. A start mid-line (`from` > 0) is left out: its beginning is not read.
 */
export async function readEarlierLines(read: PageReader, { from, to, head, firstPage, limits, wanted }: EarlierRange): Promise<LineStore | null> {
  const lines = new LineStore(limits)
  let offset = from
  let cut = from > 0
  let page = firstPage
  while (offset < to) {
    if (!page) {
      const result = await read(offset, to - offset)
      if (!result.ok) return null
      page = result.value
    }
    if (!wanted() || page.offset !== offset || page.nextOffset <= offset) return null
    let data = page.data
    if (cut) {
      const newline = data.indexOf('\n')
      data = newline < 0 ? '' : data.slice(newline + 1)
      cut = newline < 0
    }
    lines.append(data, Date.now())
    offset = page.nextOffset
    page = undefined
  }
  if (!cut) lines.append(head, Date.now())
  return lines
}
