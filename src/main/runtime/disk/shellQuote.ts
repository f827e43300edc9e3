import { invalidInput } from '../../../shared/errors'

// Words made only of these characters mean the same to sh quoted or not.
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/
const LONE_SURROGATE = /\p{Cs}/u

/**
 * Quotes a string so POSIX sh reads it back as exactly one word with exactly these
 * characters: inside single quotes nothing is special, and `'` itself becomes `'\''`.
 * NUL cannot be carried by any shell word, so it is refused rather than silently cut.
 */
export function shellQuote(value: string, field = 'value'): string {
  if (value.includes('\0')) throw invalidInput(field, 'contains a NUL character, which a shell script cannot carry')
  // A lone surrogate has no UTF-8 encoding: the script would hold U+FFFD instead.
  if (LONE_SURROGATE.test(value)) throw invalidInput(field, 'is not valid Unicode text (lone surrogate)')
  if (PLAIN_WORD.test(value)) return value
  return `'${value.replaceAll("'", `'\\''`)}'`
}
