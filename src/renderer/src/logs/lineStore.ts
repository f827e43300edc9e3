import { DEFAULT_SGR, EscapeScanner, sgrEffect, sgrStateAfter, type SgrState } from './ansi'

/** How much of a log the viewer keeps; the oldest lines go first. */
export interface LineStoreLimits {
  maxLines: number
  /** Total characters kept (about 1–2 bytes each in memory). */
  maxChars: number
  /** A longer line is split into several of this length, so one runaway line cannot stall the view. */
  maxLineChars: number
}

export const DEFAULT_LINE_LIMITS: LineStoreLimits = { maxLines: 1_000_000, maxChars: 64 * 1024 * 1024, maxLineChars: 16 * 1024 }

// Lines live in fixed-size chunks so dropping the oldest is O(1) and no array ever holds a million items.
const CHUNK_BITS = 12
const CHUNK_SIZE = 1 << CHUNK_BITS

interface Chunk {
  text: string[]
  /** Arrival time of each line, ms since the epoch. */
  time: Float64Array
  /**
   * The SGR style lines start in, where it changes: pairs of (index in the chunk, style), each
   * holding until the next; absent while every line starts in the default. A log without colour
   * keeps nothing here, and one left red for a million lines keeps one pair a chunk.
   */
  styles?: number[]
}

/** The style the last line of `chunk` starts in, or one added after it would without a pair of its own. */
const styleOfLast = (chunk: Chunk): SgrState => chunk.styles?.[chunk.styles.length - 1] ?? DEFAULT_SGR

const newChunk = (): Chunk => ({ text: [], time: new Float64Array(CHUNK_SIZE) })

/**
 * The lines of one log as they arrive, with bounded memory. Every line ever added has a sequence
 * number (`seq`) that never changes, so search results and scroll positions survive dropping.
 * Text after the last newline is kept as a partial last line until its newline arrives.
 * Colours carry from line to line as in a terminal: each line knows the SGR style it starts in.
 */
export class LineStore {
  private chunks: Chunk[] = []
  /** Lines of `chunks[0]` already dropped. */
  private head = 0
  private completeCount = 0
  private chars = 0
  private partial: string | null = null
  private partialTime = 0
  /** The SGR style after the last complete line: the one the next line starts in. */
  private endStyle: SgrState = DEFAULT_SGR
  /** Seq of the first line kept. */
  firstSeq: number
  /** Lines dropped to stay within the limits since the last clear. */
  dropped = 0
  /** When the user last cleared the view (ms since the epoch), or null. */
  clearedAt: number | null = null

  /** `firstSeq` leaves room below for lines that may be put in front later (see `appendStore`). */
  constructor(
    readonly limits: LineStoreLimits = DEFAULT_LINE_LIMITS,
    firstSeq = 0
  ) {
    this.firstSeq = firstSeq
  }

  /** Lines kept, the partial last line included. */
  get length(): number {
    return this.completeCount + (this.partial === null ? 0 : 1)
  }

  /** Complete lines kept (those that will not change any more). */
  get complete(): number {
    return this.completeCount
  }

  get hasPartial(): boolean {
    return this.partial !== null
  }

  get charCount(): number {
    return this.chars + (this.partial?.length ?? 0)
  }

  /** Seq one past the last line kept. */
  get endSeq(): number {
    return this.firstSeq + this.length
  }

  /** The line at index `i` (0 = oldest kept). */
  line(i: number): string {
    if (i === this.completeCount && this.partial !== null) return this.partial
    const at = this.head + i
    return this.chunks[at >> CHUNK_BITS]?.text[at & (CHUNK_SIZE - 1)] ?? ''
  }

  time(i: number): number {
    if (i === this.completeCount && this.partial !== null) return this.partialTime
    const at = this.head + i
    return this.chunks[at >> CHUNK_BITS]?.time[at & (CHUNK_SIZE - 1)] ?? 0
  }

  /** The SGR style the line at index `i` starts in (what the lines before it left), for `parseAnsi`. */
  startStyle(i: number): SgrState {
    if (i === this.completeCount && this.partial !== null) return this.endStyle
    const at = this.head + i
    const styles = this.chunks[at >> CHUNK_BITS]?.styles
    if (!styles) return DEFAULT_SGR
    const offset = at & (CHUNK_SIZE - 1)
    // The last pair at or before the line: the pairs are in line order.
    let lo = 0
    let hi = styles.length >> 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((styles[mid * 2] ?? 0) <= offset) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? DEFAULT_SGR : (styles[lo * 2 - 1] ?? DEFAULT_SGR)
  }

  /** How many style changes are kept (see `Chunk.styles`): the memory colours cost. */
  get styleChanges(): number {
    let pairs = 0
    for (const chunk of this.chunks) pairs += (chunk.styles?.length ?? 0) >> 1
    return pairs
  }

  lineBySeq(seq: number): string {
    return this.line(seq - this.firstSeq)
  }

  /** Adds text as it arrived; `\r\n` ends a line like `\n`, and a bare `\r` starts it over, as a terminal would. */
  append(text: string, time: number): void {
    if (text === '') return
    const pieces = text.split('\n')
    const last = pieces.pop() ?? ''
    let from = 0
    if (pieces.length > 0 && this.partial !== null) {
      const line = this.partial + (pieces[0] ?? '')
      this.partial = null
      this.pushComplete(line, this.partialTime)
      from = 1
    }
    // Most text has no carriage return: its lines go in as they are, a chunk at a time.
    if (text.indexOf('\r') < 0) {
      const escapes = new EscapeScanner(text)
      this.pushPlain(pieces, from, time, escapes.any || this.endStyle !== DEFAULT_SGR ? escapes : null)
    }
    else for (let i = from; i < pieces.length; i++) this.pushComplete(pieces[i] ?? '', time)
    if (last !== '') {
      if (this.partial === null) this.partialTime = time
      this.partial = (this.partial ?? '') + last
      // A partial line that grows without end is cut into complete pieces too.
      while (this.partial.length > this.limits.maxLineChars) {
        const head = this.partial.slice(0, this.limits.maxLineChars)
        this.partial = this.partial.slice(this.limits.maxLineChars)
        this.pushPiece(head, this.partialTime)
      }
    }
    this.enforceLimits()
  }

  /** Ends the partial last line, if any (e.g. before a marker line). */
  endLine(): void {
    if (this.partial === null) return
    const line = this.partial
    this.partial = null
    this.pushComplete(line, this.partialTime)
    this.enforceLimits()
  }

  /**
   * Adds every line of `later` after these, numbered as `later` numbers them: these are renumbered
   * to end where `later` starts (which must leave them room). A history read after the lines
   * already shown is put in front of them this way, and nothing that holds a seq notices.
   * Every line of `later` is copied anyway, so each one's style is worked out again from the
   * style these leave, in the same pass.
   */
  appendStore(later: LineStore): void {
    this.endLine()
    this.firstSeq = later.firstSeq - this.length
    for (let i = 0; i < later.complete; i++) this.pushPiece(later.line(i), later.time(i))
    this.partial = later.partial
    this.partialTime = later.partialTime
    this.dropped += later.dropped
    this.enforceLimits()
  }

  /** Drops every line from view; later lines are numbered on from where these stopped. */
  clear(time: number): void {
    // The service's colour outlives the view: the rest of a cleared partial line goes on in it.
    if (this.partial !== null) this.endStyle = sgrStateAfter(this.partial, this.endStyle)
    this.firstSeq += this.length
    this.chunks = []
    this.head = 0
    this.completeCount = 0
    this.chars = 0
    this.partial = null
    this.dropped = 0
    this.clearedAt = time
  }

  /** Every line kept, as one text, through `transform` (e.g. stripping escapes). */
  text(transform: (line: string) => string = (line) => line): string {
    const out: string[] = []
    for (let i = 0; i < this.length; i++) out.push(transform(this.line(i)))
    return out.join('\n')
  }

  private pushComplete(line: string, time: number): void {
    const cr = line.lastIndexOf('\r')
    let text = cr === line.length - 1 ? line.slice(0, -1) : line
    const overwrite = text.lastIndexOf('\r')
    // Overwritten text is gone from the screen, but the colours it set are not.
    if (overwrite >= 0) text = sgrEffect(text.slice(0, overwrite)) + text.slice(overwrite + 1)
    if (text.length <= this.limits.maxLineChars) {
      this.pushPiece(text, time)
      return
    }
    for (let at = 0; at < text.length; at += this.limits.maxLineChars) this.pushPiece(text.slice(at, at + this.limits.maxLineChars), time)
  }

  /**
   * `pieces[from…]`, lines without a CR; a runaway one goes through `pushComplete`, which cuts it.
   * `escapes` scans the text they were split from; without it (no escape in them, and the default
   * style before) their styles are skipped.
   */
  private pushPlain(pieces: string[], from: number, time: number, escapes: EscapeScanner | null): void {
    const max = this.limits.maxLineChars
    let i = from
    // Where the line starts in the text: `pieces[0]` may have gone to end the partial line.
    let at = from === 0 ? 0 : (pieces[0]?.length ?? 0) + 1
    while (i < pieces.length) {
      const chunk = this.lastChunk()
      const start = chunk.text.length
      const end = Math.min(pieces.length, i + CHUNK_SIZE - start)
      let chars = 0
      let current = escapes ? styleOfLast(chunk) : DEFAULT_SGR
      for (; i < end; i++) {
        const line = pieces[i] ?? ''
        if (line.length > max) break
        if (escapes) {
          if (this.endStyle !== current) current = this.noteStart(chunk)
          if (escapes.within(at, at + line.length)) this.endStyle = sgrStateAfter(line, this.endStyle)
          at += line.length + 1
        }
        chunk.text.push(line)
        chars += line.length
      }
      chunk.time.fill(time, start, chunk.text.length)
      this.completeCount += chunk.text.length - start
      this.chars += chars
      if (i < end) {
        const line = pieces[i++] ?? ''
        this.pushComplete(line, time)
        at += line.length + 1
      }
    }
  }

  private pushPiece(text: string, time: number): void {
    const chunk = this.lastChunk()
    this.noteStart(chunk)
    this.endStyle = sgrStateAfter(text, this.endStyle)
    chunk.time[chunk.text.length] = time
    chunk.text.push(text)
    this.completeCount++
    this.chars += text.length
  }

  /** Records the style the line about to be added at the end of `chunk` starts in, where it changes. */
  private noteStart(chunk: Chunk): SgrState {
    if (this.endStyle !== styleOfLast(chunk)) (chunk.styles ??= []).push(chunk.text.length, this.endStyle)
    return this.endStyle
  }

  /** The chunk new lines go into, started when the last one is full. */
  private lastChunk(): Chunk {
    const last = this.chunks[this.chunks.length - 1]
    if (last && last.text.length < CHUNK_SIZE) return last
    const chunk = newChunk()
    this.chunks.push(chunk)
    return chunk
  }

  private enforceLimits(): void {
    const { maxLines, maxChars } = this.limits
    while (this.completeCount > 0 && (this.length > maxLines || this.charCount > maxChars)) this.dropOldest()
  }

  private dropOldest(): void {
    const first = this.chunks[0]
    if (!first) return
    this.chars -= first.text[this.head]?.length ?? 0
    // Release the string at once rather than when the whole chunk goes.
    first.text[this.head] = ''
    this.head++
    this.completeCount--
    this.firstSeq++
    this.dropped++
    if (this.head === CHUNK_SIZE || this.completeCount === 0) {
      this.chunks.shift()
      this.head = 0
    }
  }
}
