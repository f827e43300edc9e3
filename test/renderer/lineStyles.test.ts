import { describe, expect, it } from 'vitest'
import { DEFAULT_SGR, parseAnsi, sgrStateAfter, type AnsiSpan } from '../../src/renderer/src/logs/ansi'
import { LineStore } from '../../src/renderer/src/logs/lineStore'

const ESC = '\u001b'
const RED = `${ESC}[31m`
const RESET = `${ESC}[0m`
const limits = (maxLines: number, maxChars = 1e9, maxLineChars = 1e6) => ({ maxLines, maxChars, maxLineChars })

/** Line `i` as the viewer renders it: parsed from the style it starts in. */
const rendered = (store: LineStore, i: number): AnsiSpan[] => parseAnsi(store.line(i), store.startStyle(i))
/** The colour of the whole line `i`, or undefined when it shows in the default one. */
const colour = (store: LineStore, i: number): number | undefined => {
  const spans = rendered(store, i)
  expect(new Set(spans.map((span) => span.fg)).size).toBe(1)
  return spans[0]?.fg
}

function numbered(count: number, from = 0): string {
  let text = ''
  for (let i = from; i < from + count; i++) text += `line ${i}\n`
  return text
}

describe('LineStore styles', () => {
  it('carries a colour over to the following lines until it is reset', () => {
    const store = new LineStore()
    store.append(`start ${RED}fail\nstack 1\nstack 2\nend${RESET} ok\nplain\n`, 0)
    expect(rendered(store, 0)).toEqual([{ text: 'start ' }, { text: 'fail', fg: 31 }])
    expect([colour(store, 1), colour(store, 2)]).toEqual([31, 31])
    expect(rendered(store, 3)).toEqual([{ text: 'end', fg: 31 }, { text: ' ok' }])
    expect(colour(store, 4)).toBeUndefined()
    // Only the two changes are kept (red from line 1, default from line 4), not one per line.
    expect(store.styleChanges).toBe(2)
  })

  it('carries it across appends, a partial line, and the end of a chunk of lines', () => {
    const store = new LineStore()
    store.append(numbered(4090), 0)
    store.append(`bold ${ESC}[1`, 1)
    store.append(`;33mwarn\n${numbered(10, 4091)}`, 2)
    store.append(`line 4101 ${RESET}\nafter\npart`, 3)
    expect(colour(store, 4089)).toBeUndefined()
    // Lines 4096 on are in the second chunk of 4096 lines.
    for (const i of [4091, 4095, 4096, 4100]) expect(rendered(store, i)).toEqual([{ text: `line ${i}`, fg: 33, bold: true }])
    expect(rendered(store, 4101)).toEqual([{ text: 'line 4101 ', fg: 33, bold: true }])
    expect(colour(store, 4102)).toBeUndefined()
    // The partial last line starts in the style the last complete one left.
    store.append(`${RED}ial`, 4)
    expect(rendered(store, 4103)).toEqual([{ text: 'part' }, { text: 'ial', fg: 31 }])
    store.append('\nnext\n', 5)
    expect(colour(store, 4104)).toBe(31)
  })

  it('gives every line the style a terminal would, however the text is cut into appends', () => {
    // A fixed pseudo-random log: lines with and without colours, cut at arbitrary points.
    let seed = 7
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    const codes = ['31', '1;32', '0', '', '39', '22', '38;5;33', '2K']
    let text = ''
    for (let i = 0; i < 3000; i++) {
      const escape = random(3) === 0 ? `${ESC}[${codes[random(codes.length)]}${random(2) ? 'm' : 'K'}` : ''
      // At the start, in the middle or at the end of the line; now and then a line longer than the 30 kept as one.
      const where = random(3)
      text += `${where === 0 ? escape : ''}line ${i}${where === 1 ? `${escape} tail` : ''}${random(20) === 0 ? 'x'.repeat(40) : ''}${where === 2 ? escape : ''}\n`
    }
    const store = new LineStore(limits(1e6, 1e9, 30))
    for (let at = 0; at < text.length; ) {
      const next = at + 1 + random(400)
      store.append(text.slice(at, next), 0)
      at = next
    }
    let expected = DEFAULT_SGR
    for (let i = 0; i < store.length; i++) {
      expect(store.startStyle(i)).toBe(expected)
      expected = sgrStateAfter(store.line(i), expected)
    }
  })

  it('keeps a colour the overwritten part of a line set, as a terminal would', () => {
    const store = new LineStore()
    store.append(`${ESC}[32mprogress 10%\rprogress 100%\ndone\n`, 0)
    expect(rendered(store, 0)).toEqual([{ text: 'progress 100%', fg: 32 }])
    expect(colour(store, 1)).toBe(32)
  })

  it('starts the new first line in the right style after the oldest lines were dropped', () => {
    const small = new LineStore(limits(3))
    small.append(`${RED}a\nb\nc\nd\n`, 0)
    expect(small.firstSeq).toBe(1)
    expect(colour(small, 0)).toBe(31)

    // The whole first chunk goes, and with it where the colour was set.
    const store = new LineStore(limits(5000))
    store.append(`${RED}set here\n${numbered(10_000)}`, 0)
    expect(store.dropped).toBe(5001)
    expect(store.line(0)).toBe('line 5000')
    expect([colour(store, 0), colour(store, 4999)]).toEqual([31, 31])
  })

  it('works out the styles again for the lines behind earlier ones put in front', () => {
    const later = new LineStore(limits(100), 10)
    later.append(`c\nd${RESET}\ne\npart`, 7)
    expect(colour(later, 0)).toBeUndefined()
    const earlier = new LineStore(limits(100))
    earlier.append(`a\n${RED}b`, 3)
    earlier.appendStore(later)
    expect(earlier.line(2)).toBe('c')
    expect([colour(earlier, 1), colour(earlier, 2), colour(earlier, 3)]).toEqual([31, 31, 31])
    expect([colour(earlier, 4), colour(earlier, 5)]).toEqual([undefined, undefined])

    // A colour left on in the later lines is ended by a reset in front of it no more than a terminal would.
    const open = new LineStore(limits(100), 10)
    open.append(`x\n${ESC}[1my\nz\n`, 0)
    const front = new LineStore(limits(100))
    front.append(`${ESC}[34mw`, 0)
    front.appendStore(open)
    expect(rendered(front, 3)).toEqual([{ text: 'z', fg: 34, bold: true }])
    front.append('more\n', 1)
    expect(rendered(front, 4)).toEqual([{ text: 'more', fg: 34, bold: true }])
  })

  it('keeps the colour the cleared lines left for the lines after them', () => {
    const store = new LineStore()
    store.append(`${RED}a\nhalf of a line, then ${ESC}[1m`, 0)
    store.clear(1)
    store.append('rest\nb\n', 2)
    expect(store.length).toBe(2)
    expect([rendered(store, 0), rendered(store, 1)]).toEqual([[{ text: 'rest', fg: 31, bold: true }], [{ text: 'b', fg: 31, bold: true }]])
  })

  it('keeps no style for a million lines without escapes, and one change a chunk for a million in one colour', () => {
    const batch = numbered(10_000)
    const plain = new LineStore(limits(1_000_000))
    for (let i = 0; i < 110; i++) plain.append(batch, i)
    expect(plain.length).toBe(1_000_000)
    expect(plain.styleChanges).toBe(0)
    expect(colour(plain, 999_999)).toBeUndefined()

    const red = new LineStore(limits(1_000_000))
    red.append(RED, 0)
    for (let i = 0; i < 100; i++) red.append(batch, i)
    expect(red.length).toBe(1_000_000)
    expect(red.styleChanges).toBe(Math.ceil(1_000_000 / 4096))
    expect([colour(red, 0), colour(red, 500_000), colour(red, 999_999)]).toEqual([31, 31, 31])
  })
})
