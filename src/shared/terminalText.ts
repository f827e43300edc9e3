/**
 * Text bound for a terminal (or a log a terminal will show) with every control character written
 * out as an escape: a value someone else chose — a path, a name, a request — cannot move the
 * cursor, recolour, retitle the window, or reorder what is shown (bidirectional controls).
 * Newlines and tabs are kept where the text is meant to have several lines.
 */
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\n\t]/g

export function escapeControls(text: string, { keepLines = false }: { keepLines?: boolean } = {}): string {
  return text.replace(CONTROLS, (char) => {
    if (keepLines && (char === '\n' || char === '\t')) return char
    const code = char.codePointAt(0)!
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
