// The log viewer in Chromium, as a user has it: `bpvm serve` (runtime worker included) and the
// built UI, with instances whose guest logs the bench writes itself. Measures (a) opening a
// million-line log until its last line is painted, (b) scrolling through it and the JS heap
// around that, (c) a line appended to the log file until it is painted.
// `npm run bench:logs` (builds the UI first); needs Chromium, not root.
import { appendFile } from 'node:fs/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CDPSession, Page } from 'playwright-core'
import { instanceRow, openView, waitForText } from '../test/e2e/appPage'
import { launchChromium, VIEWPORT } from '../test/e2e/chromium'
import { startServe } from '../test/e2e/serveProcess'
import { median } from './benchRounds'
import { fakeInstanceWithLog, serviceLine, shortLine, type FakeLog } from './fakeLogs'

const ROUNDS = 5
const LINES = 1_000_000
const SCROLL_STEPS = 100
/** A few wheel notches. */
const WHEEL_PX = 120
const LATENCY_LINES = 20
const OPEN_TIMEOUT_MS = 60_000
const TARGET_FIRST_PAINT_MS = 500
const TARGET_LATENCY_MS = 150

const load = (): string => loadavg()[0]!.toFixed(1)
const ms = (value: number): string => `${value.toFixed(0)} ms`
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const met = (value: number, target: number): string => (value < target ? 'yes' : '**no**')
const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!

/** Calls `window.__logsProbe[name](...args)` in the page (bench/logsProbe.js). */
function probe<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.__logsProbe.${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}

type Metrics = Record<string, number>

/** Chromium's own counters (heap, DOM nodes, main-thread time in s), after a full GC when `collect`. */
async function metrics(cdp: CDPSession, collect: boolean): Promise<Metrics> {
  if (collect) await cdp.send('HeapProfiler.collectGarbage')
  const { metrics: list } = await cdp.send('Performance.getMetrics')
  return Object.fromEntries(list.map((m) => [m.name, m.value]))
}

const mainThreadSeconds = (m: Metrics): number => (m.ScriptDuration ?? 0) + (m.LayoutDuration ?? 0) + (m.RecalcStyleDuration ?? 0)

interface OpenTimes {
  /** Click → the paint that shows the log's last line. */
  lastRow: number
  /** Click → the paint after the earlier lines (up to the 16 MiB tail) are in too. */
  allLines: number
}

/** Opens `log` from its row in the Instances view, timed in the page. */
function openLog(page: Page, log: FakeLog): Promise<OpenTimes> {
  return probe<OpenTimes>(page, 'openUntilLastRow', `tr[data-instance="${log.name}"] [data-test="logs"]`, log.lastLine, OPEN_TIMEOUT_MS)
}

/** (a): from the click on the instance's Logs button to the log's last line painted, and to all its lines in. */
async function firstPaint(page: Page, cdp: CDPSession, log: FakeLog): Promise<OpenTimes[]> {
  const runs: OpenTimes[] = []
  for (let round = 0; round < ROUNDS; round++) {
    await openView(page, 'Instances')
    await instanceRow(page, log.name).waitFor()
    await metrics(cdp, true)
    runs.push(await openLog(page, log))
    console.error(`open ${log.name}, round ${round + 1}: last line ${ms(runs.at(-1)!.lastRow)}, all lines ${ms(runs.at(-1)!.allLines)} (load ${load()})`)
  }
  return runs
}

interface ScrollRun {
  stepsMs: number[]
  totalMs: number
  topSeqs: number[]
  rowsInDom: number
  elements: number
}

interface ScrollFigures {
  jumps: ScrollRun
  wheel: ScrollRun
  /** Main-thread ms (script, style, layout) per step. */
  jumpsCpuMs: number
  wheelCpuMs: number
  heapBefore: Metrics
  heapOpen: Metrics
  heapAfterRaw: Metrics
  heapAfter: Metrics
}

/** (b): with `log` open, jumps through all of it from the top, then wheels down from the top; heap around it. */
async function scrolling(page: Page, cdp: CDPSession, log: FakeLog): Promise<ScrollFigures> {
  await openView(page, 'Instances')
  const heapBefore = await metrics(cdp, true)
  await openLog(page, log)
  const heapOpen = await metrics(cdp, true)
  const jumps = await probe<ScrollRun>(page, 'scrollThrough', SCROLL_STEPS, 0)
  const afterJumps = await metrics(cdp, false)
  const wheel = await probe<ScrollRun>(page, 'scrollThrough', SCROLL_STEPS, WHEEL_PX)
  const heapAfterRaw = await metrics(cdp, false)
  const heapAfter = await metrics(cdp, true)
  // Every step must have moved the rows: a stuck window would be fast and wrong.
  for (const run of [jumps, wheel]) {
    if (run.topSeqs.some((seq, i) => i > 0 && seq <= run.topSeqs[i - 1]!)) throw new Error(`the rows did not follow the scroll: ${run.topSeqs.join(' ')}`)
  }
  return {
    jumps,
    wheel,
    jumpsCpuMs: ((mainThreadSeconds(afterJumps) - mainThreadSeconds(heapOpen)) * 1000) / SCROLL_STEPS,
    wheelCpuMs: ((mainThreadSeconds(heapAfterRaw) - mainThreadSeconds(afterJumps)) * 1000) / SCROLL_STEPS,
    heapBefore,
    heapOpen,
    heapAfterRaw,
    heapAfter
  }
}

interface LatencyRun {
  inDom: number
  painted: number
}

/** (c): a line appended to the guest log file, until the frame that shows it is painted. */
async function lineLatency(page: Page, log: FakeLog): Promise<LatencyRun[]> {
  await openView(page, 'Instances')
  await openLog(page, log)
  await waitForText(page.locator('[data-test="log-status"]'), 'Following')
  const runs: LatencyRun[] = []
  for (let i = 0; i < LATENCY_LINES; i++) {
    const token = `appended-${i}-${Date.now().toString(36)}`
    await probe<void>(page, 'watchFor', token)
    const written = performance.timeOrigin + performance.now()
    await appendFile(log.path, `bench: ${token}\n`)
    const seen = await probe<LatencyRun>(page, 'seenAt', token)
    runs.push({ inDom: seen.inDom - written, painted: seen.painted - written })
    // Apart, so each line is a batch of its own rather than riding along with the one before.
    await sleep(150 + Math.random() * 100)
  }
  return runs
}

function report(logs: { short: FakeLog; wide: FakeLog }, shortRuns: OpenTimes[], wideRuns: OpenTimes[], wideShown: string, scroll: ScrollFigures, latency: LatencyRun[], chromium: string): string {
  const heap = (m: Metrics): string => mib(m.JSHeapUsedSize ?? 0)
  const runs = (values: OpenTimes[], key: keyof OpenTimes): string => values.map((v) => v[key].toFixed(0)).join(' ')
  const med = (values: OpenTimes[], key: keyof OpenTimes): number => median(values.map((v) => v[key]))
  const painted = latency.map((r) => r.painted)
  const inDom = latency.map((r) => r.inDom)
  const jumpSteps = scroll.jumps.stepsMs
  const wheelSteps = scroll.wheel.stepsMs
  return [
    `Chromium ${chromium}, viewport ${VIEWPORT.width}×${VIEWPORT.height}; load average ${load()} at the end.`,
    '',
    '| measure | median | runs | target | met |',
    '| --- | ---: | --- | --- | --- |',
    `| first paint: last lines shown, ${LINES.toLocaleString('en')} lines of ~16 B (${mib(logs.short.bytes)}) | ${ms(med(shortRuns, 'lastRow'))} | ${runs(shortRuns, 'lastRow')} | < ${TARGET_FIRST_PAINT_MS} ms | ${met(med(shortRuns, 'lastRow'), TARGET_FIRST_PAINT_MS)} |`,
    `| … all ${LINES.toLocaleString('en')} lines in | ${ms(med(shortRuns, 'allLines'))} | ${runs(shortRuns, 'allLines')} | — | — |`,
    `| first paint: last lines shown, ${LINES.toLocaleString('en')} lines of ~95 B (${mib(logs.wide.bytes)}) | ${ms(med(wideRuns, 'lastRow'))} | ${runs(wideRuns, 'lastRow')} | < ${TARGET_FIRST_PAINT_MS} ms | ${met(med(wideRuns, 'lastRow'), TARGET_FIRST_PAINT_MS)} |`,
    `| … its last 16 MiB (${wideShown}) in | ${ms(med(wideRuns, 'allLines'))} | ${runs(wideRuns, 'allLines')} | — | — |`,
    `| line latency, append → painted (${LATENCY_LINES} lines) | ${ms(median(painted))} | p90 ${ms(quantile(painted, 0.9))}, max ${ms(Math.max(...painted))} | < ${TARGET_LATENCY_MS} ms | ${met(median(painted), TARGET_LATENCY_MS)} |`,
    `| line latency, append → in the DOM | ${ms(median(inDom))} | p90 ${ms(quantile(inDom, 0.9))}, max ${ms(Math.max(...inDom))} | — | — |`,
    '',
    `Scrolling the ${LINES.toLocaleString('en')}-line log (${SCROLL_STEPS} steps each, every step painted before the next):`,
    '',
    '| scroll | per step, median | p95 | max | main-thread work per step | total |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| jumps of 1/${SCROLL_STEPS} of the log (top to bottom) | ${ms(median(jumpSteps))} | ${ms(quantile(jumpSteps, 0.95))} | ${ms(Math.max(...jumpSteps))} | ${scroll.jumpsCpuMs.toFixed(1)} ms | ${ms(scroll.jumps.totalMs)} |`,
    `| wheel steps of ${WHEEL_PX} px from the top | ${ms(median(wheelSteps))} | ${ms(quantile(wheelSteps, 0.95))} | ${ms(Math.max(...wheelSteps))} | ${scroll.wheelCpuMs.toFixed(1)} ms | ${ms(scroll.wheel.totalMs)} |`,
    '',
    '| JS heap (after a full GC unless said) | used | DOM nodes |',
    '| --- | ---: | ---: |',
    `| Instances view, before opening the log | ${heap(scroll.heapBefore)} | ${scroll.heapBefore.Nodes ?? '?'} |`,
    `| log open, following its end | ${heap(scroll.heapOpen)} | ${scroll.heapOpen.Nodes ?? '?'} |`,
    `| right after both scrolls, no GC | ${heap(scroll.heapAfterRaw)} | ${scroll.heapAfterRaw.Nodes ?? '?'} |`,
    `| after both scrolls | ${heap(scroll.heapAfter)} | ${scroll.heapAfter.Nodes ?? '?'} |`,
    '',
    `Rows in the DOM at the end: ${scroll.wheel.rowsInDom} (${scroll.wheel.elements} elements in the page).`
  ].join('\n')
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'bpvm-bench-logs-'))
  // The fixtures are written with this process's BPVM_HOME, the server reads them with the same.
  process.env.BPVM_HOME = home
  // Ctrl-C reaches the server and the browser too (same process group); the 100 MiB of logs go with them.
  process.once('SIGINT', () => {
    rmSync(home, { recursive: true, force: true })
    process.exit(130)
  })
  try {
    const logs = {
      short: await fakeInstanceWithLog('million', LINES, shortLine),
      wide: await fakeInstanceWithLog('million-wide', LINES, serviceLine),
      live: await fakeInstanceWithLog('live', 50, (i) => `bench: line ${i} before the measurement`)
    }
    console.error(`logs written: ${mib(logs.short.bytes)}, ${mib(logs.wide.bytes)} (load ${load()})`)
    const server = await startServe({ home })
    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: VIEWPORT })
      await page.addInitScript({ path: join(import.meta.dirname, 'logsProbe.js') })
      await page.goto(server.url)
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Performance.enable')

      const shortRuns = await firstPaint(page, cdp, logs.short)
      const wideRuns = await firstPaint(page, cdp, logs.wide)
      const wideShown = ((await page.locator('[data-test="log-status"]').textContent()) ?? '').replace(/^.*·\s*/, '').trim()
      const scroll = await scrolling(page, cdp, logs.short)
      const latency = await lineLatency(page, logs.live)
      console.log(report(logs, shortRuns, wideRuns, wideShown, scroll, latency, browser.version()))
    } finally {
      await browser.close()
      await server.stop()
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

await main()
