import { describe, expect, it } from 'vitest'
import { LineStore } from '../../src/renderer/src/logs/lineStore'

const lines = (store: LineStore): string[] => Array.from({ length: store.length }, (_, i) => store.line(i))
const limits = (maxLines: number, maxChars = 1e9, maxLineChars = 1e6) => ({ maxLines, maxChars, maxLineChars })

describe('LineStore', () => {
  it('splits text into lines and keeps a partial last line until its newline arrives', () => {
    const store = new LineStore()
    store.append('one\ntw', 1)
    expect(lines(store)).toEqual(['one', 'tw'])
    expect(store.hasPartial).toBe(true)
    store.append('o\nthree\n', 2)
    expect(lines(store)).toEqual(['one', 'two', 'three'])
    expect(store.hasPartial).toBe(false)
    // A completed line keeps the arrival time of its first part.
    expect(store.time(1)).toBe(1)
    expect(store.time(2)).toBe(2)
  })

  it('ends lines at CRLF, and a bare CR starts the line over as a terminal would', () => {
    const store = new LineStore()
    store.append('dos\r\nprogress 10%\rprogress 100%\n', 0)
    expect(lines(store)).toEqual(['dos', 'progress 100%'])
  })

  it('drops the oldest lines past the line cap, counting them, and keeps numbering stable', () => {
    const store = new LineStore(limits(3))
    store.append('a\nb\nc\nd\ne\n', 0)
    expect(lines(store)).toEqual(['c', 'd', 'e'])
    expect(store.dropped).toBe(2)
    expect(store.firstSeq).toBe(2)
    expect(store.lineBySeq(4)).toBe('e')
  })

  it('drops the oldest lines past the character cap', () => {
    const store = new LineStore(limits(100, 10))
    store.append('aaaa\nbbbb\ncccc\n', 0)
    expect(lines(store)).toEqual(['bbbb', 'cccc'])
    expect(store.charCount).toBe(8)
  })

  it('splits a runaway line into pieces of the longest line length', () => {
    const store = new LineStore(limits(100, 1e9, 4))
    store.append('abcdefghij\n', 0)
    expect(lines(store)).toEqual(['abcd', 'efgh', 'ij'])
    store.append('0123456789', 0)
    expect(lines(store).slice(3)).toEqual(['0123', '4567', '89'])
  })

  it('clears to nothing, remembers when, and numbers later lines after the cleared ones', () => {
    const store = new LineStore(limits(2))
    store.append('a\nb\nc\n', 0)
    store.clear(1234)
    expect(store.length).toBe(0)
    expect(store.clearedAt).toBe(1234)
    expect(store.dropped).toBe(0)
    store.append('d\n', 0)
    expect(store.firstSeq).toBe(3)
    expect(store.lineBySeq(3)).toBe('d')
  })

  it('holds a million lines across chunks and drops the oldest beyond its cap', () => {
    const store = new LineStore(limits(1_000_000))
    const batch = Array.from({ length: 10_000 }, (_, i) => `line ${i}`).join('\n') + '\n'
    for (let i = 0; i < 110; i++) store.append(batch, i)
    expect(store.length).toBe(1_000_000)
    expect(store.dropped).toBe(100_000)
    expect(store.line(0)).toBe('line 0')
    expect(store.line(999_999)).toBe('line 9999')
    expect(store.time(999_999)).toBe(109)
    expect(store.lineBySeq(1_099_999)).toBe('line 9999')
  })

  it('puts earlier lines in front of later ones, which keep their numbers and times', () => {
    const later = new LineStore(limits(100), 10)
    later.append('c\nd\npart', 7)
    const earlier = new LineStore(limits(100))
    earlier.append('a\nb', 3)
    earlier.appendStore(later)
    expect(lines(earlier)).toEqual(['a', 'b', 'c', 'd', 'part'])
    // `b` ends with the history: it is a line of its own.
    expect(earlier.firstSeq).toBe(8)
    expect(earlier.lineBySeq(10)).toBe('c')
    expect([earlier.time(0), earlier.time(2), earlier.time(4)]).toEqual([3, 7, 7])
    // The partial last line is carried over and still grows.
    earlier.append('ial\n', 8)
    expect(earlier.lineBySeq(12)).toBe('partial')
    expect(earlier.hasPartial).toBe(false)

    // Past the cap, the earliest go.
    const capped = new LineStore(limits(3))
    capped.append('a\nb\nc\n', 0)
    capped.appendStore(later)
    expect(lines(capped)).toEqual(['c', 'd', 'part'])
    expect(capped.dropped).toBe(3)
  })

  it('gives all its text, through a transform', () => {
    const store = new LineStore()
    store.append('a\nb', 0)
    expect(store.text((l) => l.toUpperCase())).toBe('A\nB')
  })
})
