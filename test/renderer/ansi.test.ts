import { describe, expect, it } from 'vitest'
import { parseAnsi, stripAnsi } from '../../src/renderer/src/logs/ansi'

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
})
