/** One run of text with the same style. `fg` is the SGR code (30–37, 90–97); absent: the default colour. */
export interface AnsiSpan {
  text: string
  fg?: number
  bold?: boolean
}

/**
 * The style that SGR sequences leave behind, packed in one number so a line store can keep it
 * without an object per line: the foreground code in the low byte (0: default), BOLD above it.
 */
export type SgrState = number

/** No colour, normal intensity: what a terminal starts with and what SGR 0 goes back to. */
export const DEFAULT_SGR: SgrState = 0
const FG_MASK = 0xff
const BOLD = 0x100

const ESC = 0x1b
const BEL = 0x07
const CSI_8BIT = 0x9b

/** A C0 control (or DEL) other than tab, or the 8-bit CSI: never shown as text. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f || code === CSI_8BIT
}

/** Applies one SGR code to a style. */
function applyCode(state: SgrState, code: number): SgrState {
  if (code === 0) return DEFAULT_SGR
  if (code === 1) return state | BOLD
  if (code === 22) return state & ~BOLD
  if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) return (state & ~FG_MASK) | code
  if (code === 39) return state & ~FG_MASK
  return state
}

/** Applies the SGR parameter list `line[from, to)` (`1;31`, `` (= 0), `38;5;208`) to a style, without slicing it out. */
function applySgr(state: SgrState, line: string, from: number, to: number): SgrState {
  let code = 0
  // Extended colours (38, 48, 58) carry their own arguments, which must not be read as codes (38;5;31 is not red).
  let mode = false
  let skip = 0
  for (let i = from; i <= to; i++) {
    const c = i < to ? line.charCodeAt(i) : 0x3b
    if (c !== 0x3b && c !== 0x3a) {
      code = code * 10 + (c - 0x30)
      continue
    }
    if (mode) {
      mode = false
      skip = code === 5 ? 1 : code === 2 ? 3 : 0
    } else if (skip > 0) {
      skip--
    } else if (code === 38 || code === 48 || code === 58) {
      mode = true
    } else {
      state = applyCode(state, code)
    }
    code = 0
  }
  return state
}

/** Where an escape sequence starting at `start` (an ESC or 8-bit CSI) ends; `sgrFrom` is where its parameters start if it is an SGR, else -1. */
function readEscape(line: string, start: number): { end: number; sgrFrom: number } {
  let i = start
  if (line.charCodeAt(i) !== CSI_8BIT) {
    i++
    const kind = line[i]
    if (kind === undefined) return { end: i, sgrFrom: -1 }
    if (kind === ']' || kind === 'P' || kind === 'X' || kind === '^' || kind === '_') {
      // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (ESC \).
      for (i++; i < line.length; i++) {
        const code = line.charCodeAt(i)
        if (code === BEL) return { end: i + 1, sgrFrom: -1 }
        if (code === ESC && line[i + 1] === '\\') return { end: i + 2, sgrFrom: -1 }
      }
      return { end: i, sgrFrom: -1 }
    }
    if (kind !== '[') {
      // A two-character escape, possibly with intermediates (ESC ( B).
      while (i < line.length && line.charCodeAt(i) >= 0x20 && line.charCodeAt(i) <= 0x2f) i++
      return { end: Math.min(i + 1, line.length), sgrFrom: -1 }
    }
  }
  // A CSI: parameters, intermediates, then one final byte. Only digits, `;` and `:` make an SGR's parameters.
  const paramsStart = i + 1
  let sgr = true
  for (i = paramsStart; i < line.length; i++) {
    const code = line.charCodeAt(i)
    if (code >= 0x40 && code <= 0x7e) return { end: i + 1, sgrFrom: sgr && code === 0x6d ? paramsStart : -1 }
    if (code < 0x20 || code > 0x3f) return { end: i, sgrFrom: -1 }
    if (code < 0x30 || code > 0x3b) sgr = false
  }
  return { end: i, sgrFrom: -1 }
}

/**
 * Finds the escapes of one text front to back, each `indexOf` going on from where the last one
 * stopped: telling which of a page's lines hold one costs a scan of the page, not two per line.
 */
export class EscapeScanner {
  private esc: number
  private csi: number

  constructor(private readonly text: string) {
    this.esc = text.indexOf('\u001b')
    this.csi = text.indexOf('\u009b')
  }

  /** Whether the text holds any escape. */
  get any(): boolean {
    return this.esc >= 0 || this.csi >= 0
  }

  /** Whether an escape starts in `text[from, to)`; `from` must not go back from one call to the next. */
  within(from: number, to: number): boolean {
    if (this.esc >= 0 && this.esc < from) this.esc = this.text.indexOf('\u001b', from)
    if (this.csi >= 0 && this.csi < from) this.csi = this.text.indexOf('\u009b', from)
    return (this.esc >= from && this.esc < to) || (this.csi >= from && this.csi < to)
  }
}

/**
 * The style after `line` for one that starts in `state`: the SGR pass alone, so a store can carry
 * styles from line to line as a terminal does. A line without escapes costs two `indexOf`s.
 */
export function sgrStateAfter(line: string, state: SgrState): SgrState {
  // Jumping from escape to escape: most of a coloured line is text.
  let esc = line.indexOf('\u001b')
  let csi = line.indexOf('\u009b')
  while (esc >= 0 || csi >= 0) {
    const escape = readEscape(line, esc < 0 ? csi : csi < 0 ? esc : Math.min(esc, csi))
    if (escape.sgrFrom >= 0) state = applySgr(state, line, escape.sgrFrom, escape.end - 1)
    if (esc >= 0 && esc < escape.end) esc = line.indexOf('\u001b', escape.end)
    if (csi >= 0 && csi < escape.end) csi = line.indexOf('\u009b', escape.end)
  }
  return state
}

/**
 * One SGR sequence with the same effect on the style as all those in `text` ('' if they change
 * nothing), whatever the style before: what a line keeps of the text a carriage return overwrote.
 */
export function sgrEffect(text: string): string {
  // An impossible colour shows whether the text set one; two intensities show whether it set that.
  const unset = 0xff
  const normal = sgrStateAfter(text, unset)
  const bold = sgrStateAfter(text, unset | BOLD)
  const codes: number[] = []
  const fg = normal & FG_MASK
  if (fg !== unset) codes.push(fg === 0 ? 39 : fg)
  if ((normal & BOLD) === (bold & BOLD)) codes.push(normal & BOLD ? 1 : 22)
  return codes.length === 0 ? '' : `\u001b[${codes.join(';')}m`
}

/**
 * Splits a line into styled spans: SGR foreground colours (30–37, 90–97, 39), bold and reset are
 * kept; every other escape sequence and control character is dropped. The line starts in `state`,
 * the style the lines before it left (see `sgrStateAfter`).
 */
export function parseAnsi(line: string, state: SgrState = DEFAULT_SGR): AnsiSpan[] {
  const spans: AnsiSpan[] = []
  let style = state
  let text = ''
  const flush = (): void => {
    if (text === '') return
    const fg = style & FG_MASK
    const bold = (style & BOLD) !== 0
    const last = spans[spans.length - 1]
    if (last && last.fg === (fg || undefined) && last.bold === (bold || undefined)) last.text += text
    else {
      const span: AnsiSpan = { text }
      if (fg) span.fg = fg
      if (bold) span.bold = true
      spans.push(span)
    }
    text = ''
  }
  let runStart = 0
  for (let i = 0; i < line.length; ) {
    const code = line.charCodeAt(i)
    if (code !== ESC && !isControl(code)) {
      i++
      continue
    }
    text += line.slice(runStart, i)
    if (code === ESC || code === CSI_8BIT) {
      const escape = readEscape(line, i)
      if (escape.sgrFrom >= 0) {
        flush()
        style = applySgr(style, line, escape.sgrFrom, escape.end - 1)
      }
      i = escape.end
    } else {
      i++
    }
    runStart = i
  }
  text += line.slice(runStart)
  flush()
  return spans
}

// What `isControl` and ESC match, for a quick test: the regex engine scans a line far faster than a loop.
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f\u009b]/

/** The text a user sees: what `parseAnsi` keeps, without styles. Fast for lines with no escapes. */
export function stripAnsi(line: string): string {
  return HAS_CONTROL.test(line) ? parseAnsi(line).map((span) => span.text).join('') : line
}
