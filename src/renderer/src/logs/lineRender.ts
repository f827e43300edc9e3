import type { AnsiSpan } from './ansi'
import type { LineHighlight } from './logSearch'

/** A piece of a rendered line: a style run cut further where search matches begin and end. */
export interface LinePiece extends AnsiSpan {
  mark?: 'match' | 'current'
}

/** Cuts styled spans at the highlight boundaries (offsets in the spans' joined text). */
export function linePieces(spans: readonly AnsiSpan[], highlights: readonly LineHighlight[]): LinePiece[] {
  if (highlights.length === 0) return spans.slice()
  const pieces: LinePiece[] = []
  let offset = 0
  let h = 0
  for (const span of spans) {
    let at = 0
    while (at < span.text.length) {
      const abs = offset + at
      while (h < highlights.length && (highlights[h]?.end ?? 0) <= abs) h++
      const highlight = highlights[h]
      let end: number
      let mark: LinePiece['mark']
      if (highlight && highlight.start <= abs) {
        end = Math.min(span.text.length, highlight.end - offset)
        mark = highlight.current ? 'current' : 'match'
      } else {
        end = highlight ? Math.min(span.text.length, highlight.start - offset) : span.text.length
      }
      const piece: LinePiece = { ...span, text: span.text.slice(at, end) }
      if (mark) piece.mark = mark
      pieces.push(piece)
      at = end
    }
    offset += span.text.length
  }
  return pieces
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** `HH:MM:SS` in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** `HH:MM:SS.mmm` in local time: a line's arrival time. */
export function arrivalTime(ms: number): string {
  return `${clockTime(ms)}.${pad(new Date(ms).getMilliseconds(), 3)}`
}
