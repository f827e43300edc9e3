import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import type { LogChunkEvent, LogStreamName } from '../../../shared/api/logs'
import type { ErrorInfo } from '../../../shared/result'
import { stripAnsi } from '../logs/ansi'
import { DEFAULT_LINE_LIMITS, LineStore, type LineStoreLimits } from '../logs/lineStore'
import { clockTime } from '../logs/lineRender'
import { readEarlierLines, type EarlierRange } from '../logs/earlierLines'
import { compileQuery, SearchIndex, type SearchQuery } from '../logs/logSearch'
import { call, listen } from './apiAccess'
import { useTasksStore } from './tasksStore'

/** A log that starts again this soon after a launch or relaunch ended is that boot's. */
const BOOT_MARK_WITHIN_MS = 120_000

/** History is read in pages of this size. */
const PAGE_BYTES = 1024 * 1024
/** A longer log is shown from this far before its end. */
export const HISTORY_TAIL_BYTES = 16 * 1024 * 1024

type LogViewState = 'idle' | 'loading' | 'live' | 'error'

/** The log being viewed: its lines, live updates, follow mode and search. */
export const useLogsStore = defineStore('logs', () => {
  const instance = ref<string | null>(null)
  const stream = ref<LogStreamName>('guest')
  const state = ref<LogViewState>('idle')
  const error = ref<ErrorInfo | null>(null)
  const limits = ref<LineStoreLimits>(DEFAULT_LINE_LIMITS)
  const lines = shallowRef(markRaw(new LineStore(limits.value)))
  /** Bumped whenever `lines` changes (the store itself is not reactive: a million reactive strings would crawl). */
  const version = ref(0)
  /** Bytes before the loaded tail that were not read. */
  const skippedBytes = ref(0)
  /** The end of the log is shown; the lines before it are still being read. */
  const loadingEarlier = ref(false)
  const following = ref(true)
  /** Lines that arrived while the view was not following. */
  const unseen = ref(0)
  const wrap = ref(false)
  const timestamps = ref(false)
  const query = ref<SearchQuery>({ text: '', regex: false, caseSensitive: false })
  /** Show only the lines that match. */
  const filter = ref(false)
  const search = shallowRef<SearchIndex | null>(null)
  /** The line the viewport should bring into view; `n` changes on every request. */
  const reveal = ref<{ seq: number; n: number } | null>(null)

  let subscription: string | null = null
  let subscribing = false
  let early: LogChunkEvent[] = []
  let expectedOffset = 0
  let generation = 0

  const compiled = computed(() => compileQuery(query.value))
  const searchError = computed(() => (compiled.value && !compiled.value.ok ? compiled.value.error : null))

  function changed(added: number): void {
    search.value?.update(lines.value)
    if (!following.value) unseen.value += added
    version.value++
  }

  function append(text: string): void {
    const before = lines.value.endSeq
    lines.value.append(text, Date.now())
    changed(lines.value.endSeq - before)
  }

  function rebuildSearch(): void {
    const c = compiled.value
    search.value = c && c.ok ? markRaw(new SearchIndex(c.pattern, lines.value)) : null
    version.value++
  }

  function onChunk(event: LogChunkEvent): void {
    if (subscription === null) {
      // A chunk can overtake the answer to `subscribe`; keep it until the id is known.
      if (subscribing && early.length < 1000) early.push(event)
      return
    }
    if (event.subscription !== subscription) return
    if (event.reset) {
      lines.value.endLine()
      append(`${boundaryText(event.name, event.stream)}\n`)
    } else if (event.nextOffset <= expectedOffset) {
      return
    }
    expectedOffset = event.nextOffset
    append(event.data)
  }

  listen('logs:chunk', onChunk)

  /**
   * The line that marks where a log started again: a new boot when a launch or relaunch of the
   * instance runs or has just ended (every boot starts its guest log afresh), else a rotation.
   */
  function boundaryText(name: string, logStream: LogStreamName): string {
    const recent = Date.now() - BOOT_MARK_WITHIN_MS
    const boot = useTasksStore().all.find(
      ({ info }) => info.target === name && (info.kind === 'launch' || info.kind === 'relaunch') && (info.state === 'running' || Date.parse(info.endedAt ?? '') >= recent)
    )
    if (boot && logStream === 'guest') return `— ${boot.info.kind === 'relaunch' ? 'relaunched' : 'launched again'} at ${clockTime(Date.now())}: the new boot's log starts here —`
    return '— the log was rotated or truncated —'
  }

  async function read(name: string, logStream: LogStreamName, offset: number, maxBytes = PAGE_BYTES) {
    return call((api) => api.logs.read({ name, stream: logStream, offset, maxBytes: Math.min(maxBytes, PAGE_BYTES) }))
  }

  function failed(failure: ErrorInfo): null {
    error.value = failure
    return null
  }

  /**
   * Shows what the log holds now, its last page first, so the end of even a huge log shows at
   * once; the pages before it (up to HISTORY_TAIL_BYTES in all) follow in the background.
   * Answers where the log ended.
   */
  async function loadHistory(name: string, logStream: LogStreamName, gen: number): Promise<number | null> {
    const first = await read(name, logStream, 0)
    if (gen !== generation) return null
    if (!first.ok) return failed(first.error)
    const { size, nextOffset } = first.value
    if (size <= PAGE_BYTES) {
      append(first.value.data)
      return nextOffset
    }
    const from = Math.max(0, size - HISTORY_TAIL_BYTES)
    skippedBytes.value = from
    // A character cut at this byte shows as U+FFFD where the two parts meet (only non-ASCII text there).
    const lastStart = size - PAGE_BYTES
    const last = await read(name, logStream, lastStart)
    if (gen !== generation) return null
    if (!last.ok) return failed(last.error)
    if (last.value.offset !== lastStart) {
      // The log was rotated or truncated meanwhile: what it holds now is all there is.
      append(last.value.data)
      return last.value.nextOffset
    }
    // The page starts mid-line: that line's start comes with the earlier pages.
    const newline = last.value.data.indexOf('\n')
    const head = newline < 0 ? last.value.data : last.value.data.slice(0, newline)
    // Seqs below the shown lines' are left for the earlier lines: there are no more of them than bytes.
    const shown = markRaw(new LineStore(limits.value, lastStart - from + 1))
    lines.value = shown
    append(newline < 0 ? '' : last.value.data.slice(newline + 1))
    const reuseFirst = from === 0 && nextOffset <= lastStart
    void loadEarlier(name, logStream, gen, shown, { from, to: lastStart, head, ...(reuseFirst ? { firstPage: first.value } : {}) })
    return last.value.nextOffset
  }

  /**
   * Puts the log's lines from `range.from` to `range.to` in front of the `shown` ones, renumbered
   * so the shown ones keep their seqs (a paused view stays on its line). Gives up if the view
   * moved on or was cleared meanwhile, or the log changed under it; the shown lines stay.
   */
  async function loadEarlier(name: string, logStream: LogStreamName, gen: number, shown: LineStore, range: Omit<EarlierRange, 'limits' | 'wanted'>): Promise<void> {
    loadingEarlier.value = true
    const wanted = (): boolean => gen === generation && shown.clearedAt === null
    const history = await readEarlierLines((offset, maxBytes) => read(name, logStream, offset, maxBytes), { ...range, limits: limits.value, wanted })
    // Another log's reading is not this one's to end.
    if (gen !== generation) return
    loadingEarlier.value = false
    if (!history || !wanted()) return
    history.appendStore(shown)
    lines.value = markRaw(history)
    rebuildSearch()
  }

  /** Shows `name`'s `logStream`: its history, then live chunks. */
  async function open(name: string, logStream: LogStreamName): Promise<void> {
    if (instance.value === name && stream.value === logStream && state.value !== 'idle' && state.value !== 'error') return
    close()
    const gen = generation
    instance.value = name
    stream.value = logStream
    state.value = 'loading'
    error.value = null
    skippedBytes.value = 0
    lines.value = markRaw(new LineStore(limits.value))
    following.value = true
    unseen.value = 0
    rebuildSearch()
    const end = await loadHistory(name, logStream, gen)
    if (end === null || gen !== generation) {
      if (gen === generation) state.value = 'error'
      return
    }
    expectedOffset = end
    subscribing = true
    const result = await call((api) => api.logs.subscribe({ name, stream: logStream, offset: end }))
    subscribing = false
    const waiting = early
    early = []
    if (gen !== generation) {
      if (result.ok) void call((api) => api.logs.unsubscribe({ id: result.value.id }))
      return
    }
    if (!result.ok) {
      error.value = result.error
      state.value = 'error'
      return
    }
    subscription = result.value.id
    state.value = 'live'
    for (const event of waiting) onChunk(event)
  }

  /** Stops following the current log (leaving the view, or switching). */
  function close(): void {
    generation++
    const id = subscription
    subscription = null
    subscribing = false
    early = []
    loadingEarlier.value = false
    if (id) void call((api) => api.logs.unsubscribe({ id }))
    state.value = 'idle'
    // The lines go with the view (opening reads them again): a closed log holds no memory.
    lines.value = markRaw(new LineStore(limits.value))
    search.value = null
    version.value++
  }

  function setFollowing(on: boolean): void {
    following.value = on
    if (on) unseen.value = 0
  }

  /** Drops every line from view, leaving a marker with the time. */
  function clear(): void {
    lines.value.clear(Date.now())
    unseen.value = 0
    changed(0)
  }

  function setQuery(next: Partial<SearchQuery>): void {
    query.value = { ...query.value, ...next }
    rebuildSearch()
    const index = search.value
    if (index && index.count > 0) {
      index.seekFrom(lines.value.firstSeq)
      revealCurrent()
    }
  }

  function revealCurrent(): void {
    const match = search.value?.currentMatch
    if (!match) return
    setFollowing(false)
    reveal.value = { seq: match.seq, n: (reveal.value?.n ?? 0) + 1 }
    version.value++
  }

  function nextMatch(): void {
    search.value?.next()
    revealCurrent()
  }

  function prevMatch(): void {
    search.value?.prev()
    revealCurrent()
  }

  /** Rows shown: every line, or only the matching ones in filter mode (by seq). */
  const rowCount = computed(() => {
    void version.value
    return filter.value && search.value ? search.value.lineCount : lines.value.length
  })

  function rowSeq(row: number): number {
    if (filter.value && search.value) return search.value.matchingLine(row) ?? -1
    return lines.value.firstSeq + row
  }

  /** The row showing line `seq`, or the nearest one after it. */
  function rowOfSeq(seq: number): number {
    return filter.value && search.value ? search.value.rowOfLine(seq) : seq - lines.value.firstSeq
  }

  const clearedMarker = computed(() => {
    void version.value
    const at = lines.value.clearedAt
    return at === null ? null : `— cleared at ${clockTime(at)} —`
  })

  const droppedCount = computed(() => {
    void version.value
    return lines.value.dropped
  })

  /** Everything shown, as plain text (escapes removed). */
  function allText(): string {
    return lines.value.text(stripAnsi)
  }

  return {
    instance, stream, state, error, limits, lines, version, skippedBytes, loadingEarlier, following, unseen, wrap, timestamps, query, filter, search, reveal,
    searchError, rowCount, clearedMarker, droppedCount,
    open, close, setFollowing, clear, setQuery, nextMatch, prevMatch, rowSeq, rowOfSeq, allText
  }
})
