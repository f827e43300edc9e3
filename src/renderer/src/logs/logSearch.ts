import { stripAnsi } from './ansi'
import type { LineStore } from './lineStore'

export interface SearchQuery {
  text: string
  regex: boolean
  caseSensitive: boolean
}

export type CompiledQuery = { ok: true; pattern: RegExp } | { ok: false; error: string }

/** Null for an empty query; an error message for a regular expression that does not compile. */
export function compileQuery(query: SearchQuery): CompiledQuery | null {
  if (query.text === '') return null
  const source = query.regex ? query.text : query.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  try {
    return { ok: true, pattern: new RegExp(source, query.caseSensitive ? 'g' : 'gi') }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}

/** Every non-empty match of `pattern` (a global RegExp) in `text`, as [start, end) pairs. */
export function matchesInLine(pattern: RegExp, text: string): Array<[number, number]> {
  const found: Array<[number, number]> = []
  pattern.lastIndex = 0
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[0] === '') {
      // An empty match would never advance; step over it.
      pattern.lastIndex++
      if (pattern.lastIndex > text.length) break
      continue
    }
    found.push([match.index, match.index + match[0].length])
  }
  return found
}

export interface SearchMatch {
  seq: number
  start: number
  end: number
}

/**
 * The matches of one query in a line store, found as lines arrive: complete lines are searched
 * once; the partial last line is searched again whenever it grows. Results are in line order and
 * name lines by seq, so dropping old lines only trims the front.
 */
export class SearchIndex {
  private seqs: number[] = []
  private starts: number[] = []
  private ends: number[] = []
  /** Seqs of the lines with at least one match, in order (the lines the filter shows). */
  private lines: number[] = []
  private tail: SearchMatch[] = []
  /** Seq of the next complete line to search. */
  private scanned: number
  /** Index of the current match, or -1. */
  current = -1
  /** More matches exist than the index keeps. */
  capped = false

  constructor(
    readonly pattern: RegExp,
    store: LineStore,
    readonly maxMatches = 200_000
  ) {
    this.scanned = store.firstSeq
    this.update(store)
  }

  get count(): number {
    return this.seqs.length + this.tail.length
  }

  match(k: number): SearchMatch | undefined {
    if (k < 0) return undefined
    if (k < this.seqs.length) return { seq: this.seqs[k] ?? 0, start: this.starts[k] ?? 0, end: this.ends[k] ?? 0 }
    return this.tail[k - this.seqs.length]
  }

  get currentMatch(): SearchMatch | undefined {
    return this.match(this.current)
  }

  /** The seq of the `row`th matching line (the filter's rows), or undefined past the end. */
  matchingLine(row: number): number | undefined {
    if (row < this.lines.length) return this.lines[row]
    return row === this.lines.length ? this.tail[0]?.seq : undefined
  }

  /** The filter's row that shows line `seq`, or the next matching line after it (the last row past the end). */
  rowOfLine(seq: number): number {
    let low = 0
    let high = this.lines.length
    while (low < high) {
      const mid = (low + high) >> 1
      if ((this.lines[mid] ?? 0) < seq) low = mid + 1
      else high = mid
    }
    return Math.min(low, this.lineCount - 1)
  }

  /** How many lines match. */
  get lineCount(): number {
    return this.lines.length + (this.tail.length > 0 ? 1 : 0)
  }

  /** Takes in what changed in the store: lines dropped, cleared, added. */
  update(store: LineStore): void {
    this.trim(store.firstSeq)
    const completeEnd = store.firstSeq + store.complete
    for (let seq = this.scanned; seq < completeEnd && !this.capped; seq++) {
      const found = matchesInLine(this.pattern, stripAnsi(store.lineBySeq(seq)))
      if (found.length > 0) this.lines.push(seq)
      for (const [start, end] of found) {
        if (this.seqs.length >= this.maxMatches) {
          this.capped = true
          break
        }
        this.seqs.push(seq)
        this.starts.push(start)
        this.ends.push(end)
      }
    }
    this.scanned = Math.max(this.scanned, completeEnd)
    this.tail = []
    if (store.hasPartial && !this.capped) {
      const seq = completeEnd
      this.tail = matchesInLine(this.pattern, stripAnsi(store.lineBySeq(seq))).map(([start, end]) => ({ seq, start, end }))
    }
    if (this.current >= this.count) this.current = this.count - 1
  }

  /** Moves to the next match (wrapping); returns it. */
  next(): SearchMatch | undefined {
    if (this.count === 0) return undefined
    this.current = (this.current + 1) % this.count
    return this.currentMatch
  }

  prev(): SearchMatch | undefined {
    if (this.count === 0) return undefined
    this.current = this.current <= 0 ? this.count - 1 : this.current - 1
    return this.currentMatch
  }

  /** The first match at or after `seq`, made current (where a search starts from the view). */
  seekFrom(seq: number): SearchMatch | undefined {
    if (this.count === 0) return undefined
    let low = 0
    let high = this.seqs.length
    while (low < high) {
      const mid = (low + high) >> 1
      if ((this.seqs[mid] ?? 0) < seq) low = mid + 1
      else high = mid
    }
    this.current = low < this.count ? low : 0
    return this.currentMatch
  }

  private trim(firstSeq: number): void {
    if (this.scanned < firstSeq) this.scanned = firstSeq
    let drop = 0
    while (drop < this.seqs.length && (this.seqs[drop] ?? 0) < firstSeq) drop++
    if (drop > 0) {
      this.seqs.splice(0, drop)
      this.starts.splice(0, drop)
      this.ends.splice(0, drop)
      this.current = this.current < drop ? -1 : this.current - drop
    }
    let dropLines = 0
    while (dropLines < this.lines.length && (this.lines[dropLines] ?? 0) < firstSeq) dropLines++
    if (dropLines > 0) this.lines.splice(0, dropLines)
  }
}

/** Where each match in one line falls, for highlighting; `current` marks the current match. */
export interface LineHighlight {
  start: number
  end: number
  current: boolean
}

export function highlightsForLine(pattern: RegExp | null, text: string, current: SearchMatch | undefined, seq: number): LineHighlight[] {
  if (!pattern) return []
  return matchesInLine(pattern, text).map(([start, end]) => ({
    start,
    end,
    current: current !== undefined && current.seq === seq && current.start === start
  }))
}
