/* global window, document, requestAnimationFrame, MutationObserver */
// The log bench's stopwatch, run inside the page (`page.addInitScript`): times are taken where
// the frames are painted, so none of the driver's round trips is in them.
;(() => {
  const SCROLLER = '[data-test="log-scroller"]'
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve))
  // A task queued from a frame callback runs once that frame is painted.
  const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
  const rows = () => Array.from(document.querySelectorAll(`${SCROLLER} .log-row`))
  const seqOf = (row) => (row ? Number(row.dataset.seq) : -1)
  /** Wall-clock ms, comparable with the driver's `performance.timeOrigin + performance.now()`. */
  const epochNow = () => performance.timeOrigin + performance.now()

  /**
   * Clicks `selector`, then waits for the frame whose last row reads `text`, and then for the one
   * where the earlier lines are in too; answers the ms from the click to each of those paints.
   */
  async function openUntilLastRow(selector, text, timeoutMs) {
    const button = document.querySelector(selector)
    if (!button) throw new Error(`nothing matches ${selector}`)
    const started = performance.now()
    button.click()
    for (;;) {
      await nextFrame()
      const shown = rows()
      if (shown.length > 0 && shown[shown.length - 1].textContent === text) break
      if (performance.now() - started > timeoutMs) throw new Error(`after ${timeoutMs} ms the last row reads ${JSON.stringify(shown.at(-1)?.textContent ?? null)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 0))
    const lastRow = performance.now() - started
    while (document.querySelector('[data-test="loading-earlier"]')) {
      await nextFrame()
      if (performance.now() - started > timeoutMs) throw new Error(`the earlier lines were not in after ${timeoutMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 0))
    return { lastRow, allLines: performance.now() - started }
  }

  /**
   * Moves the open log's scroller to the top, then `steps` times by `stepPx` (or, with 0, by an
   * equal share of the whole range), each step painted before the next; answers the ms per step
   * and which lines were at the top, to show the rows followed.
   */
  async function scrollThrough(steps, stepPx) {
    const scroller = document.querySelector(SCROLLER)
    scroller.scrollTop = 0
    await afterPaint()
    const range = scroller.scrollHeight - scroller.clientHeight
    const stepsMs = []
    const topSeqs = [seqOf(rows()[0])]
    const started = performance.now()
    for (let i = 1; i <= steps; i++) {
      const at = performance.now()
      scroller.scrollTop = stepPx > 0 ? i * stepPx : Math.round((range * i) / steps)
      await afterPaint()
      stepsMs.push(performance.now() - at)
      topSeqs.push(seqOf(rows().find((row) => row.getBoundingClientRect().bottom > scroller.getBoundingClientRect().top)))
    }
    return { stepsMs, totalMs: performance.now() - started, topSeqs, rowsInDom: rows().length, elements: document.getElementsByTagName('*').length }
  }

  const watches = new Map()

  /** Starts watching for a row holding `token`; `seenAt(token)` answers when it was in the DOM and when painted. */
  function watchFor(token) {
    const scroller = document.querySelector(SCROLLER)
    watches.set(
      token,
      new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          if (!scroller.textContent.includes(token)) return
          observer.disconnect()
          const inDom = epochNow()
          void afterPaint().then(() => resolve({ inDom, painted: epochNow() }))
        })
        observer.observe(scroller, { childList: true, subtree: true, characterData: true })
      })
    )
  }

  const seenAt = (token) => watches.get(token)

  window.__logsProbe = { openUntilLastRow, scrollThrough, watchFor, seenAt }
})()
