/**
 * Browsers cap an element's height (Chromium near 33.5 million px, Firefox near 17.9 million);
 * past this the scroll range is scaled so a million lines still fit.
 */
export const MAX_SCROLL_HEIGHT = 10_000_000

export interface WindowInput {
  /** Rows to show. */
  count: number
  lineHeight: number
  viewportHeight: number
  scrollTop: number
  /** Rows rendered beyond each edge of the viewport. */
  overscan: number
}

export interface RowWindow {
  /** First row rendered. */
  start: number
  /** One past the last row rendered. */
  end: number
  /** Where the first rendered row's top goes, in the scroller's content coordinates. */
  offset: number
  /** Height of the scrollable content. */
  scrollHeight: number
  /** First row at the viewport's top edge (without overscan). */
  first: number
}

/** The scrollable height for `count` rows (scaled down past MAX_SCROLL_HEIGHT). */
function scrollHeightFor(count: number, lineHeight: number): number {
  return Math.min(count * lineHeight, MAX_SCROLL_HEIGHT)
}

/** Maps a scrollTop to a position in the unscaled content (identity unless scaled). */
function contentPosition(scrollTop: number, count: number, lineHeight: number, viewportHeight: number): number {
  const contentHeight = count * lineHeight
  const scrollHeight = scrollHeightFor(count, lineHeight)
  const maxScroll = Math.max(0, scrollHeight - viewportHeight)
  const maxContent = Math.max(0, contentHeight - viewportHeight)
  const top = Math.min(Math.max(0, scrollTop), maxScroll)
  if (scrollHeight === contentHeight || maxScroll === 0) return top
  return (top * maxContent) / maxScroll
}

/** The rows to put in the DOM for a scroll position: those visible, plus overscan. */
export function rowWindow({ count, lineHeight, viewportHeight, scrollTop, overscan }: WindowInput): RowWindow {
  const scrollHeight = scrollHeightFor(count, lineHeight)
  if (count === 0) return { start: 0, end: 0, offset: 0, scrollHeight, first: 0 }
  const position = contentPosition(scrollTop, count, lineHeight, viewportHeight)
  const first = Math.min(count - 1, Math.floor(position / lineHeight))
  const fraction = position - first * lineHeight
  const visible = Math.ceil(viewportHeight / lineHeight) + 1
  const start = Math.max(0, first - overscan)
  const end = Math.min(count, first + visible + overscan)
  const top = Math.min(Math.max(0, scrollTop), Math.max(0, scrollHeight - viewportHeight))
  return { start, end, offset: top - fraction - (first - start) * lineHeight, scrollHeight, first }
}

/**
 * The scrollTop that puts `row` at the viewport's top (`top`), or about a third of the way down
 * (`third`, for a search match, so the lines before it show too).
 */
export function scrollTopForRow(row: number, count: number, lineHeight: number, viewportHeight: number, align: 'top' | 'third' = 'third'): number {
  const contentHeight = count * lineHeight
  const scrollHeight = scrollHeightFor(count, lineHeight)
  const maxScroll = Math.max(0, scrollHeight - viewportHeight)
  const maxContent = Math.max(0, contentHeight - viewportHeight)
  const lead = align === 'third' ? viewportHeight / 3 : 0
  const wanted = Math.min(maxContent, Math.max(0, row * lineHeight - lead))
  return maxContent === 0 ? 0 : (wanted * maxScroll) / maxContent
}

/** Whether the viewport shows the end of the content (within half a line). */
export function isAtBottom(scrollTop: number, viewportHeight: number, scrollHeight: number, lineHeight: number): boolean {
  return scrollTop + viewportHeight >= scrollHeight - lineHeight / 2
}

/**
 * Follow mode after a scroll: reaching the bottom resumes it; moving up pauses it; anything
 * else (a scroll sideways, content growing under a paused view) leaves it as it was.
 */
export function followAfterScroll(following: boolean, previousTop: number, scrollTop: number, atBottom: boolean): boolean {
  if (atBottom) return true
  if (scrollTop < previousTop) return false
  return following
}

/** The log view's row height in px (non-wrap mode), matched by `.log-row` through --log-line-height. */
export const LOG_LINE_HEIGHT = 18
