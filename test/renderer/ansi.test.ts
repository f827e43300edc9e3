import { describe, expect, it } from 'vitest'
import { DEFAULT_SGR, parseAnsi, sgrEffect, sgrStateAfter, stripAnsi } from '../../src/renderer/src/logs/ansi'

const ESC = '\u001b'

describe('ANSI parser', () => {
  it('passes plain text through as one span', () => {
    expect(parseAnsi('hello world')).toEqual([{ text: 'hello world' }])
    expect(parseAnsi('')).toEqual([])
  })

  it('keeps foreground colours 30–37 and 90–97, and 39 goes back to the default', () => {
    expect(parseAnsi(`${ESC}[31merror${ESC}[39m done ${ESC}[92mok`)).toEqual([
      { text: 'error', fg: 31 },
      { text: ' done ' },
      { text: 'ok', fg: 92 }
    ])
  })

  it('keeps bold across a colour change; 0 (or an empty SGR) resets both', () => {
    expect(parseAnsi(`${ESC}[1;33mWARN${ESC}[34m x${ESC}[0m plain ${ESC}[1mB${ESC}[m n`)).toEqual([
      { text: 'WARN', fg: 33, bold: true },
      { text: ' x', fg: 34, bold: true },
      { text: ' plain ' },
      { text: 'B', bold: true },
      { text: ' n' }
    ])
  })

  it('reads 22 as normal intensity', () => {
    expect(parseAnsi(`${ESC}[1mA${ESC}[22mB`)).toEqual([{ text: 'A', bold: true }, { text: 'B' }])
  })

  it('skips the arguments of 256-colour and true-colour codes instead of reading them as colours', () => {
    expect(parseAnsi(`${ESC}[38;5;31mA${ESC}[38;2;1;2;3mB${ESC}[48;5;32;1mC`)).toEqual([{ text: 'AB' }, { text: 'C', bold: true }])
  })

  it('strips other CSI sequences, OSC titles and links, and two-character escapes', () => {
    const line = `${ESC}[2K${ESC}[1G${ESC}]0;title\u0007a${ESC}]8;;http://x${ESC}\\b${ESC}(Bc${ESC}=d${ESC}[?25l`
    expect(parseAnsi(line)).toEqual([{ text: 'abcd' }])
  })

  it('drops control characters but keeps tabs', () => {
    expect(stripAnsi('a\u0007b\u0008c\td\u007f')).toBe('abc\td')
  })

  it('survives a sequence cut off at the end of the line', () => {
    expect(parseAnsi(`ok${ESC}[3`)).toEqual([{ text: 'ok' }])
    expect(parseAnsi(`ok${ESC}`)).toEqual([{ text: 'ok' }])
    expect(parseAnsi(`ok${ESC}]0;never ends`)).toEqual([{ text: 'ok' }])
  })

  it('takes the 8-bit CSI like ESC [', () => {
    expect(parseAnsi('\u009b32mgreen')).toEqual([{ text: 'green', fg: 32 }])
  })

  it('strips to what is shown, and leaves plain lines as they are', () => {
    const plain = 'no escapes here'
    expect(stripAnsi(plain)).toBe(plain)
    expect(stripAnsi(`${ESC}[1;31mred${ESC}[0m text`)).toBe('red text')
  })

  it('reads only digits, `;` and `:` as SGR parameters: a private CSI ending in m changes nothing', () => {
    expect(parseAnsi(`${ESC}[>4;1mkeys`)).toEqual([{ text: 'keys' }])
  })
})

describe('SGR state from line to line', () => {
  it('starts a line in the style the previous one left, as a terminal does', () => {
    const first = `${ESC}[1;31merror: disk`
    const state = sgrStateAfter(first, DEFAULT_SGR)
    expect(parseAnsi('still red', state)).toEqual([{ text: 'still red', fg: 31, bold: true }])
    expect(parseAnsi(`red${ESC}[0m plain`, state)).toEqual([{ text: 'red', fg: 31, bold: true }, { text: ' plain' }])
    expect(sgrStateAfter(`red${ESC}[0m plain`, state)).toBe(DEFAULT_SGR)
  })

  it('tracks SGR alone: other escapes, extended colours and a line without escapes leave the style as it was', () => {
    const green = sgrStateAfter(`${ESC}[32m`, DEFAULT_SGR)
    expect(sgrStateAfter('no escapes', green)).toBe(green)
    expect(sgrStateAfter(`${ESC}[2K${ESC}]0;title${ESC}[38;5;31m${ESC}(B`, green)).toBe(green)
    expect(sgrStateAfter(`${ESC}[39m`, green)).toBe(DEFAULT_SGR)
    expect(sgrStateAfter('\u009b1m', DEFAULT_SGR)).not.toBe(DEFAULT_SGR)
  })

  it('sums up the SGR of overwritten text as one sequence with the same effect, whatever came before', () => {
    expect(sgrEffect('no colour here')).toBe('')
    expect(sgrEffect(`${ESC}[33mprogress 10%`)).toBe(`${ESC}[33m`)
    expect(sgrEffect(`${ESC}[1;34mx${ESC}[39m`)).toBe(`${ESC}[39;1m`)
    expect(sgrEffect(`${ESC}[31mx${ESC}[0m`)).toBe(`${ESC}[39;22m`)
    const bold = sgrStateAfter(`${ESC}[1;35m`, DEFAULT_SGR)
    const text = `${ESC}[0m${ESC}[32mok ${ESC}[1m`
    expect(sgrStateAfter(sgrEffect(text), bold)).toBe(sgrStateAfter(text, bold))
  })
})
