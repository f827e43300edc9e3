import { describe, expect, it } from 'vitest'
import { followAfterScroll, isAtBottom, MAX_SCROLL_HEIGHT, rowWindow, scrollTopForRow } from '../../src/renderer/src/logs/viewportWindow'

const base = { lineHeight: 18, viewportHeight: 360, overscan: 10 }

describe('viewport window', () => {
  it('renders only the visible rows plus overscan', () => {
    const win = rowWindow({ ...base, count: 1000, scrollTop: 1800 })
    expect(win.first).toBe(100)
    expect(win.start).toBe(90)
    expect(win.end).toBe(100 + 21 + 10)
    expect(win.offset).toBe(90 * 18)
    expect(win.scrollHeight).toBe(18_000)
  })

  it('clamps at the top and at the end', () => {
    expect(rowWindow({ ...base, count: 1000, scrollTop: 0 })).toMatchObject({ start: 0, first: 0, offset: 0 })
    const end = rowWindow({ ...base, count: 1000, scrollTop: 1e9 })
    expect(end.end).toBe(1000)
    expect(end.first).toBe(980)
    expect(rowWindow({ ...base, count: 0, scrollTop: 50 })).toEqual({ start: 0, end: 0, offset: 0, scrollHeight: 0, first: 0 })
  })

  it('keeps a million lines within the browser height limit, still reaching the last line', () => {
    const count = 1_000_000
    const top = rowWindow({ ...base, count, scrollTop: 0 })
    expect(top.scrollHeight).toBe(MAX_SCROLL_HEIGHT)
    expect(top.end - top.start).toBeLessThan(40)
    const bottom = rowWindow({ ...base, count, scrollTop: MAX_SCROLL_HEIGHT - 360 })
    expect(bottom.end).toBe(count)
    expect(bottom.first).toBe(count - 20)
    // The last row ends exactly at the bottom of the scroll range.
    expect(bottom.offset + (bottom.end - bottom.start) * 18).toBeCloseTo(MAX_SCROLL_HEIGHT, 6)
    const middle = rowWindow({ ...base, count, scrollTop: (MAX_SCROLL_HEIGHT - 360) / 2 })
    expect(middle.first).toBeGreaterThan(499_000)
    expect(middle.first).toBeLessThan(501_000)
  })

  it('finds the scrollTop that shows a row, scaled or not', () => {
    expect(scrollTopForRow(100, 1000, 18, 360, 'top')).toBe(1800)
    const count = 1_000_000
    const top = scrollTopForRow(700_000, count, 18, 360, 'top')
    expect(rowWindow({ ...base, count, scrollTop: top }).first).toBe(700_000)
  })

  it('knows when the view is at the bottom', () => {
    expect(isAtBottom(17_640, 360, 18_000, 18)).toBe(true)
    expect(isAtBottom(17_600, 360, 18_000, 18)).toBe(false)
    expect(isAtBottom(0, 360, 100, 18)).toBe(true)
  })

  it('pauses following when the user scrolls up and resumes at the bottom', () => {
    expect(followAfterScroll(true, 1000, 900, false)).toBe(false)
    expect(followAfterScroll(false, 900, 950, false)).toBe(false)
    expect(followAfterScroll(false, 950, 17_640, true)).toBe(true)
    expect(followAfterScroll(true, 1000, 1000, false)).toBe(true)
  })
})
