/** One run of text with the same style. `fg` is the SGR code (30–37, 90–97); absent: the default colour. */
export interface AnsiSpan {
  text: string
  fg?: number
  bold?: boolean
}

const ESC = 0x1b
const BEL = 0x07
const CSI_8BIT = 0x9b

/** A C0 control (or DEL) other than tab, or the 8-bit CSI: never shown as text. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f || code === CSI_8BIT
}

interface Style {
  fg?: number
  bold?: boolean
}

/** Applies one SGR parameter list (`1;31`, `0`, `38;5;208`) to a style. */
function applySgr(style: Style, params: string): Style {
  const codes = params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)))
  const next: Style = { ...style }
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? 0
    if (code === 0) {
      delete next.fg
      delete next.bold
    } else if (code === 1) next.bold = true
    else if (code === 22) delete next.bold
    else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) next.fg = code
    else if (code === 39) delete next.fg
    else if (code === 38 || code === 48 || code === 58) {
      // Extended colours carry their own arguments, which must not be read as codes (38;5;31 is not red).
      const mode = codes[i + 1]
      i += mode === 5 ? 2 : mode === 2 ? 4 : 1
    }
  }
  return next
}

/** Where an escape sequence starting at `start` (an ESC or 8-bit CSI) ends, and its SGR parameters if it is one. */
function readEscape(line: string, start: number): { end: number; sgr?: string } {
  let i = start
  if (line.charCodeAt(i) !== CSI_8BIT) {
    i++
    const kind = line[i]
    if (kind === undefined) return { end: i }
    if (kind === ']' || kind === 'P' || kind === 'X' || kind === '^' || kind === '_') {
      // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (ESC \).
      for (i++; i < line.length; i++) {
        const code = line.charCodeAt(i)
        if (code === BEL) return { end: i + 1 }
        if (code === ESC && line[i + 1] === '\\') return { end: i + 2 }
      }
      return { end: i }
    }
    if (kind !== '[') {
      // A two-character escape, possibly with intermediates (ESC ( B).
      while (i < line.length && line.charCodeAt(i) >= 0x20 && line.charCodeAt(i) <= 0x2f) i++
      return { end: Math.min(i + 1, line.length) }
    }
  }
  // A CSI: parameters, intermediates, then one final byte.
  const paramsStart = i + 1
  for (i = paramsStart; i < line.length; i++) {
    const code = line.charCodeAt(i)
    if (code >= 0x40 && code <= 0x7e) {
      return line[i] === 'm' ? { end: i + 1, sgr: line.slice(paramsStart, i) } : { end: i + 1 }
    }
    if (code < 0x20 || code > 0x3f) return { end: i }
  }
  return { end: i }
}

/**
 * Splits a line into styled spans: SGR foreground colours (30–37, 90–97, 39), bold and reset are
 * kept; every other escape sequence and control character is dropped. Each line starts unstyled.
 */
export function parseAnsi(line: string): AnsiSpan[] {
  const spans: AnsiSpan[] = []
  let style: Style = {}
  let text = ''
  const flush = (): void => {
    if (text === '') return
    const last = spans[spans.length - 1]
    if (last && last.fg === style.fg && last.bold === style.bold) last.text += text
    else spans.push({ text, ...style })
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
      if (escape.sgr !== undefined) {
        flush()
        style = applySgr(style, escape.sgr)
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
