import { describe, expect, it, vi } from 'vitest'
import type { LogChunk } from '../../src/shared/api/logs'
import { readEarlierLines, type PageReader } from '../../src/renderer/src/logs/earlierLines'
import { LineStore } from '../../src/renderer/src/logs/lineStore'
import { ok } from '../../src/shared/result'

const limits = { maxLines: 1000, maxChars: 1e9, maxLineChars: 1e6 }
const all = (store: LineStore | null): string[] => (store ? Array.from({ length: store.length }, (_, i) => store.line(i)) : [])

/** Serves `text` (ASCII, so characters are bytes) in pages of at most `page` bytes. */
function reader(text: string, page: number): PageReader {
  return vi.fn(async (offset: number, maxBytes: number) => {
    const data = text.slice(offset, offset + Math.min(maxBytes, page))
    return ok<LogChunk>({ data, offset, nextOffset: offset + data.length, size: text.length })
  })
}

describe('readEarlierLines', () => {
  const text = 'one\ntwo\nthree\nfour\nfi'
  const to = text.length - 2

  it('reads up to `to` page by page and ends with the line `head` completes', async () => {
    const read = reader(text, 5)
    const lines = await readEarlierLines(read, { from: 0, to, head: 'fi', limits, wanted: () => true })
    expect(all(lines)).toEqual(['one', 'two', 'three', 'four', 'fi'])
    expect(vi.mocked(read).mock.calls.every(([offset, maxBytes]) => offset + maxBytes <= to)).toBe(true)
  })

  it('leaves out the line cut at a start past 0, and takes a page already read', async () => {
    const read = reader(text, 100)
    const firstPage = { data: 'o\nthree\n', offset: 6, nextOffset: 14, size: text.length }
    const lines = await readEarlierLines(read, { from: 6, to, head: 'fi', firstPage, limits, wanted: () => true })
    expect(all(lines)).toEqual(['three', 'four', 'fi'])
    expect(read).toHaveBeenCalledTimes(1)
  })

  it('gives up when the log changed under it or the lines are no longer wanted', async () => {
    // Rotated: the page comes from the start of a new file.
    const rotated: PageReader = async () => ok({ data: 'new\n', offset: 0, nextOffset: 4, size: 4 })
    expect(await readEarlierLines(rotated, { from: 5, to, head: 'fi', limits, wanted: () => true })).toBeNull()
    expect(await readEarlierLines(reader(text, 5), { from: 0, to, head: 'fi', limits, wanted: () => false })).toBeNull()
  })
})
