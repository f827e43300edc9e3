import { describe, expect, it } from 'vitest'
import { LineStore } from '../../src/renderer/src/logs/lineStore'
import { linePieces } from '../../src/renderer/src/logs/lineRender'
import { compileQuery, highlightsForLine, matchesInLine, SearchIndex } from '../../src/renderer/src/logs/logSearch'

function storeOf(text: string, maxLines = 1000): LineStore {
  const store = new LineStore({ maxLines, maxChars: 1e9, maxLineChars: 1e6 })
  store.append(text, 0)
  return store
}

/** The filter's rows: the seqs of the matching lines. */
const matchingLines = (index: SearchIndex): number[] => Array.from({ length: index.lineCount }, (_, row) => index.matchingLine(row) ?? -1)

function indexFor(store: LineStore, text: string, regex = false, caseSensitive = false): SearchIndex {
  const compiled = compileQuery({ text, regex, caseSensitive })
  if (!compiled?.ok) throw new Error('query did not compile')
  return new SearchIndex(compiled.pattern, store)
}

describe('log search', () => {
  const log = 'boot ok\nERROR disk\nwarn: error again, error\nall fine\n'

  it('counts every match, ignoring case by default', () => {
    expect(indexFor(storeOf(log), 'error').count).toBe(3)
    expect(indexFor(storeOf(log), 'error', false, true).count).toBe(2)
  })

  it('takes plain text literally and regular expressions as such', () => {
    const store = storeOf('a.b\naxb\n')
    expect(indexFor(store, 'a.b').count).toBe(1)
    expect(indexFor(store, 'a.b', true).count).toBe(2)
    expect(indexFor(store, '^ax', true).count).toBe(1)
  })

  it('reports a regular expression that does not compile, and nothing for an empty query', () => {
    const compiled = compileQuery({ text: '(', regex: true, caseSensitive: false })
    expect(compiled?.ok).toBe(false)
    expect(compileQuery({ text: '', regex: true, caseSensitive: false })).toBeNull()
  })

  it('never loops on a pattern that matches the empty string', () => {
    expect(matchesInLine(/x*/g, 'abxxc')).toEqual([[2, 4]])
  })

  it('moves next and previous through the matches, wrapping at both ends', () => {
    const index = indexFor(storeOf(log), 'error')
    expect(index.next()).toEqual({ seq: 1, start: 0, end: 5 })
    expect(index.next()).toEqual({ seq: 2, start: 6, end: 11 })
    expect(index.next()).toEqual({ seq: 2, start: 19, end: 24 })
    expect(index.next()?.seq).toBe(1)
    expect(index.prev()?.start).toBe(19)
    expect(index.current).toBe(2)
  })

  it('lists the matching lines once each, for the filter', () => {
    const index = indexFor(storeOf(log), 'error')
    expect(matchingLines(index)).toEqual([1, 2])
    expect(index.rowOfLine(2)).toBe(1)
    expect(index.rowOfLine(0)).toBe(0)
    expect(index.rowOfLine(9)).toBe(1)
  })

  it('searches lines as they arrive, the partial last line included', () => {
    const store = storeOf('error one\n')
    const index = indexFor(store, 'error')
    store.append('no\nerror par', 0)
    index.update(store)
    expect(index.count).toBe(2)
    expect(matchingLines(index)).toEqual([0, 2])
    store.append('t\n', 0)
    index.update(store)
    expect(index.count).toBe(2)
  })

  it('forgets matches in dropped lines and keeps the current one', () => {
    const store = storeOf('error a\nerror b\nerror c\n', 3)
    const index = indexFor(store, 'error')
    index.next()
    index.next()
    expect(index.currentMatch?.seq).toBe(1)
    store.append('error d\n', 0)
    index.update(store)
    expect(index.count).toBe(3)
    expect(index.currentMatch?.seq).toBe(1)
    expect(matchingLines(index)).toEqual([1, 2, 3])
  })

  it('seeks the first match at or after a line', () => {
    const index = indexFor(storeOf(log), 'error')
    expect(index.seekFrom(2)).toEqual({ seq: 2, start: 6, end: 11 })
    expect(index.seekFrom(3)?.seq).toBe(1)
  })

  it('cuts styled spans where highlights start and end, marking the current match', () => {
    const compiled = compileQuery({ text: 'err', regex: false, caseSensitive: false })
    if (!compiled?.ok) throw new Error('no')
    const highlights = highlightsForLine(compiled.pattern, 'an error', { seq: 7, start: 3, end: 6 }, 7)
    expect(linePieces([{ text: 'an ' }, { text: 'error', fg: 31 }], highlights)).toEqual([
      { text: 'an ' },
      { text: 'err', fg: 31, mark: 'current' },
      { text: 'or', fg: 31 }
    ])
  })
})
