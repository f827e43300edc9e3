// @vitest-environment jsdom
import { flushPromises, type DOMWrapper, type VueWrapper } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { LogChunkEvent } from '../../src/shared/api'
import { ok } from '../../src/shared/result'
import LogsView from '../../src/renderer/src/views/LogsView.vue'
import { useLogsStore } from '../../src/renderer/src/stores/logsStore'
import { task, createFakeApi, instance, removeFakeApi, type FakeApi } from './fakeApi'
import { freshApp, mountWith } from './harness'

const ESC = '\u001b'
let view: VueWrapper | undefined
beforeEach(() => {
  // jsdom lays nothing out: give the log viewport a height (400 px = 22 rows of 18 px).
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(400)
})
afterEach(() => {
  view?.unmount()
  view = undefined
  removeFakeApi()
  vi.restoreAllMocks()
})

/** Serves each `name/stream` log from a string, ASCII so characters are bytes. */
function serveLogs(api: FakeApi, files: Record<string, string>): void {
  vi.mocked(api.logs.read).mockImplementation(async ({ name, stream, offset = 0, maxBytes = 1024 * 1024 }) => {
    const text = files[`${name}/${stream}`] ?? ''
    const data = text.slice(offset, offset + maxBytes)
    return ok({ data, offset, nextOffset: offset + data.length, size: text.length })
  })
}

async function setup(files: Record<string, string>, prepare: (api: FakeApi) => void = () => undefined) {
  const api = createFakeApi()
  vi.mocked(api.instances.list).mockResolvedValue(ok([instance('alpha'), instance('beta')]))
  serveLogs(api, files)
  prepare(api)
  const pinia = freshApp(api)
  window.history.replaceState(null, '', '#/logs/alpha/guest')
  view = mountWith(LogsView, pinia)
  await flushPromises()
  return { api, view }
}

const chunk = (fields: Partial<LogChunkEvent> & Pick<LogChunkEvent, 'data' | 'offset'>): LogChunkEvent => ({
  subscription: 'sub-1',
  name: 'alpha',
  stream: 'guest',
  nextOffset: fields.offset + fields.data.length,
  size: fields.offset + fields.data.length,
  ...fields
})

const renderedLines = (w: VueWrapper) => w.findAll('.log-row').map((row) => row.text())
const scroller = (w: VueWrapper) => w.get('[data-test="log-scroller"]')

/** Scrolls the log as a user would: a new scrollTop, then the scroll event. */
async function scrollTo(el: Omit<DOMWrapper<Element>, 'exists'>, top: number): Promise<void> {
  Object.defineProperty(el.element, 'scrollTop', { configurable: true, writable: true, value: top })
  await el.trigger('scroll')
}

function lines(count: number, from = 0): string {
  let text = ''
  for (let i = from; i < from + count; i++) text += `line ${i}\n`
  return text
}

/** Alpha's guest log is `text`; the first page (the size) and the last one are answered at once, the earlier ones once released. */
async function setupHoldingEarlierPages(text: string) {
  let release = (): void => undefined
  const gate = new Promise<void>((resolve) => (release = resolve))
  const { view } = await setup({ 'alpha/guest': text }, (api) => {
    const serve = vi.mocked(api.logs.read).getMockImplementation()
    vi.mocked(api.logs.read).mockImplementation(async (request) => {
      if (vi.mocked(api.logs.read).mock.calls.length > 2) await gate
      return serve!(request)
    })
  })
  return { view, release }
}

describe('Logs view', () => {
  it('loads the history, then follows live chunks of its own subscription only', async () => {
    const { api, view } = await setup({ 'alpha/guest': 'booting\nready\n' })
    expect(api.logs.read).toHaveBeenCalledWith({ name: 'alpha', stream: 'guest', offset: 0, maxBytes: 1024 * 1024 })
    expect(api.logs.subscribe).toHaveBeenCalledWith({ name: 'alpha', stream: 'guest', offset: 14 })
    expect(renderedLines(view)).toEqual(['booting', 'ready'])

    api.emit('logs:chunk', chunk({ data: 'service started\n', offset: 14 }))
    api.emit('logs:chunk', chunk({ subscription: 'someone-else', data: 'not ours\n', offset: 14 }))
    await flushPromises()
    expect(renderedLines(view)).toEqual(['booting', 'ready', 'service started'])
    expect(view.get('[data-test="log-status"]').text()).toContain('Following')
  })

  it('marks where the new boot of a relaunch starts, and a plain rotation as such', async () => {
    const { api, view } = await setup({ 'alpha/guest': 'booting\nready\n' })
    api.emit('logs:chunk', chunk({ data: 'rotated\n', offset: 0, reset: true }))
    await flushPromises()
    expect(renderedLines(view).slice(-2)).toEqual(['— the log was rotated or truncated —', 'rotated'])
    api.emit('tasks:progress', task({ id: 'r1', kind: 'relaunch', title: 'Relaunch alpha', target: 'alpha', step: 'vmm' }))
    api.emit('logs:chunk', chunk({ data: 'svc v2: started\n', offset: 0, reset: true }))
    await flushPromises()
    const [marker, first] = renderedLines(view).slice(-2)
    expect(marker).toMatch(/^— relaunched at \d\d:\d\d:\d\d: the new boot's log starts here —$/)
    expect(first).toBe('svc v2: started')
  })

  it('reads a long history in pages of at most 1 MiB, the last page first, and only the tail of a very large log', async () => {
    const MiB = 1024 * 1024
    const big = 'x'.repeat(1023) + '\n'
    const { api, view } = await setup({ 'alpha/guest': big.repeat(2500) }) // 2.4 MiB
    // The first page tells the size; the last page is shown; the one between joins them.
    expect(vi.mocked(api.logs.read).mock.calls.map(([r]) => r.offset)).toEqual([0, 2500 * 1024 - MiB, MiB])
    expect(vi.mocked(api.logs.read).mock.calls.every(([r]) => (r.maxBytes ?? 0) <= MiB)).toBe(true)
    expect(view.get('[data-test="log-status"]').text()).toContain('2,500 lines')

    const huge = big.repeat(20 * 1024) // 20 MiB: more than the 16 MiB tail
    const second = await setup({ 'alpha/guest': huge })
    const offsets = vi.mocked(second.api.logs.read).mock.calls.map(([r]) => r.offset)
    expect(offsets.slice(0, 3)).toEqual([0, 19 * MiB, 4 * MiB])
    expect(offsets).toHaveLength(17)
    expect(second.view.get('[data-test="log-notes"]').text()).toContain('the first 4.0 MiB were not loaded')
  })

  it('shows the end of a long log before its earlier pages arrive, then puts them in front without moving a paused view', async () => {
    const { view, release } = await setupHoldingEarlierPages(lines(120_000))
    expect(renderedLines(view).at(-1)).toBe('line 119999')
    expect(view.get('[data-test="loading-earlier"]').text()).toBe('Reading the earlier lines…')
    expect(view.get('[data-test="log-status"]').text()).not.toContain('120,000 lines')

    await scrollTo(scroller(view), 18 * 1000)
    const before = renderedLines(view)
    release()
    await flushPromises()
    expect(view.get('[data-test="log-status"]').text()).toContain('120,000 lines')
    expect(view.find('[data-test="loading-earlier"]').exists()).toBe(false)
    // The lines shown keep their numbers: the paused view stays where it was.
    expect(renderedLines(view)).toEqual(before)
    await scrollTo(scroller(view), 0)
    expect(renderedLines(view)[0]).toBe('line 0')
  })

  it('does not bring back earlier lines once the view was cleared', async () => {
    const { view, release } = await setupHoldingEarlierPages(lines(120_000))
    await view.get('[data-test="clear"]').trigger('click')
    release()
    await flushPromises()
    expect(renderedLines(view)).toEqual([])
    expect(view.find('[data-test="loading-earlier"]').exists()).toBe(false)
  })

  it('unsubscribes when switching stream or instance and when the view closes', async () => {
    const { api, view } = await setup({ 'alpha/guest': 'g\n', 'alpha/launch': 'step one\n', 'beta/launch': 'beta step\n' })
    await view.get('[data-stream="launch"]').trigger('click')
    await flushPromises()
    expect(api.logs.unsubscribe).toHaveBeenCalledWith({ id: 'sub-1' })
    expect(view.get('[data-stream="launch"]').attributes('aria-selected')).toBe('true')
    expect(renderedLines(view)).toEqual(['step one'])
    // A late chunk of the old subscription is not shown.
    api.emit('logs:chunk', chunk({ data: 'old\n', offset: 2 }))
    await flushPromises()
    expect(renderedLines(view)).toEqual(['step one'])

    await view.get('[data-test="log-instance"]').setValue('beta')
    await flushPromises()
    expect(api.logs.unsubscribe).toHaveBeenCalledWith({ id: 'sub-2' })
    expect(renderedLines(view)).toEqual(['beta step'])
    expect(window.location.hash).toBe('#/logs/beta/launch')

    view.unmount()
    await flushPromises()
    expect(api.logs.unsubscribe).toHaveBeenCalledWith({ id: 'sub-3' })
    // Its lines went with it.
    expect(useLogsStore().lines.length).toBe(0)
  })

  it('pauses following when the user scrolls up, and resumes at the bottom', async () => {
    const { api, view } = await setup({ 'alpha/guest': lines(100) })
    const el = scroller(view)
    const bottom = 100 * 18 - 400
    expect(renderedLines(view).at(-1)).toBe('line 99')

    await scrollTo(el, bottom - 200)
    expect(view.get('[data-test="follow"]').text()).toBe('Resume')
    expect(view.get('[data-test="follow"]').attributes('aria-pressed')).toBe('true')
    expect(view.get('[data-test="log-status"]').text()).toContain('Paused')

    api.emit('logs:chunk', chunk({ data: lines(5, 100), offset: 1000 }))
    await flushPromises()
    // Paused: the view stays where it was and counts what it has not shown.
    expect(view.get('[data-test="follow"]').text()).toBe('Resume (5 new)')
    expect(el.element.scrollTop).toBe(bottom - 200)

    await scrollTo(el, 105 * 18 - 400)
    expect(view.get('[data-test="follow"]').text()).toBe('Pause')
    api.emit('logs:chunk', chunk({ data: lines(1, 105), offset: 2000 }))
    await flushPromises()
    expect(renderedLines(view).at(-1)).toBe('line 105')
    expect(el.element.scrollTop).toBe(106 * 18 - 400)
  })

  it('pauses and resumes with the button, jumping to the end on resume', async () => {
    const { api, view } = await setup({ 'alpha/guest': lines(100) })
    const el = scroller(view)
    await view.get('[data-test="follow"]').trigger('click')
    expect(view.get('[data-test="log-status"]').text()).toContain('Paused')
    api.emit('logs:chunk', chunk({ data: lines(50, 100), offset: 1000 }))
    await flushPromises()
    expect(renderedLines(view)).not.toContain('line 149')
    expect(el.element.scrollTop).toBe(100 * 18 - 400)
    await view.get('[data-test="follow"]').trigger('click')
    await flushPromises()
    expect(renderedLines(view).at(-1)).toBe('line 149')
    expect(el.element.scrollTop).toBe(150 * 18 - 400)
  })

  it('searches with Ctrl+F: count, next/previous, regular expressions and a filter', async () => {
    const { view } = await setup({ 'alpha/guest': 'boot\nerror: disk\nok\nERROR again\nfine\nerror 3\n' })
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'f', ctrlKey: true }))
    await flushPromises()
    const input = view.get('input[aria-label="Search the log"]')
    expect(document.activeElement).toBe(input.element)

    await input.setValue('error')
    const count = () => view.get('[data-test="match-count"]').text()
    expect(count()).toBe('1 of 3')
    expect(view.findAll('.log-match--current').map((m) => m.text())).toEqual(['error'])
    await input.trigger('keydown', { key: 'Enter' })
    expect(count()).toBe('2 of 3')
    expect(view.get('.log-match--current').text()).toBe('ERROR')
    await view.get('button[aria-label="Previous match"]').trigger('click')
    await view.get('button[aria-label="Previous match"]').trigger('click')
    expect(count()).toBe('3 of 3')

    await view.get('[data-test="log-search"] label:nth-of-type(2) input').setValue(true) // match case
    expect(count()).toBe('1 of 2')
    await view.get('[data-test="log-search"] label:nth-of-type(1) input').setValue(true) // regex
    await input.setValue('^(ok|fine)$')
    expect(count()).toBe('1 of 2')
    await input.setValue('(')
    expect(count()).toBe('Invalid pattern')
    expect(input.attributes('aria-invalid')).toBe('true')

    await input.setValue('error|ERROR')
    await view.get('[data-test="filter"]').setValue(true)
    expect(renderedLines(view)).toEqual(['error: disk', 'ERROR again', 'error 3'])
    await input.trigger('keydown', { key: 'Escape' })
    expect(view.find('[data-test="log-search"]').exists()).toBe(false)
    expect(renderedLines(view)).toHaveLength(6)
  })

  it('opens search with / outside text fields', async () => {
    const { view } = await setup({ 'alpha/guest': 'a\n' })
    await scroller(view).trigger('keydown', { key: '/' })
    await flushPromises()
    expect(document.activeElement).toBe(view.get('input[aria-label="Search the log"]').element)
  })

  it('keeps only the visible rows in the DOM with a million lines', async () => {
    const { view } = await setup({ 'alpha/guest': lines(1_000_000) })
    expect(view.get('[data-test="log-status"]').text()).toContain('1,000,000 lines')
    const rows = view.findAll('.log-row')
    expect(rows.length).toBeGreaterThan(20)
    expect(rows.length).toBeLessThan(60)
    expect(rows.at(-1)?.text()).toBe('line 999999')

    await scrollTo(scroller(view), 0)
    expect(renderedLines(view)[0]).toBe('line 0')
    expect(view.findAll('.log-row').length).toBeLessThan(60)
  })

  it('drops the oldest lines beyond its cap and says so', async () => {
    const { api, view } = await setup({ 'alpha/guest': '' }, () => undefined)
    const logs = useLogsStore()
    logs.close()
    logs.limits = { maxLines: 100, maxChars: 1e9, maxLineChars: 1e6 }
    await logs.open('alpha', 'guest')
    await flushPromises()
    api.emit('logs:chunk', chunk({ subscription: 'sub-2', data: lines(150), offset: 0 }))
    await flushPromises()
    expect(view.get('[data-test="dropped-note"]').text()).toBe('50 earlier lines dropped')
    expect(view.get('[data-test="log-status"]').text()).toContain('100 lines')
    expect(renderedLines(view).at(-1)).toBe('line 149')
    expect(renderedLines(view)).not.toContain('line 49')
  })

  it('clears the view, leaving a marker with the time', async () => {
    const { api, view } = await setup({ 'alpha/guest': lines(3) })
    await view.get('[data-test="clear"]').trigger('click')
    expect(renderedLines(view)).toEqual([])
    expect(view.get('[data-test="cleared-marker"]').text()).toMatch(/^— cleared at \d\d:\d\d:\d\d —$/)
    api.emit('logs:chunk', chunk({ data: 'after\n', offset: 21 }))
    await flushPromises()
    expect(renderedLines(view)).toEqual(['after'])
    expect(view.find('[data-test="cleared-marker"]').exists()).toBe(true)
  })

  it('copies all, saves to a file, and opens the log folder in the desktop app', async () => {
    const writeText = vi.fn(async () => undefined)
    vi.stubGlobal('navigator', { clipboard: { writeText } })
    // jsdom has no object URLs.
    const createObjectURL = vi.fn(() => 'blob:log')
    Object.assign(URL, { createObjectURL, revokeObjectURL: () => undefined })
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined)
    const openLogFolder = vi.fn(async ({ name }: { name: string }) => ok({ path: `/logs/${name}` }))
    const { view } = await setup({ 'alpha/guest': `${ESC}[32mgreen${ESC}[0m\nplain\n` }, (api) => {
      api.shell = {
        pickBinary: vi.fn(async () => ok(null)),
        pickKeystore: vi.fn(async () => ok(null)),
        openLogFolder,
        info: vi.fn(async () => ok({ transport: 'electron' as const, version: '0.1.0' }))
      }
    })
    const button = (label: string) => view.findAll('button').find((b) => b.text() === label)
    await button('Copy all')?.trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith('green\nplain')

    await button('Save…')?.trigger('click')
    const blob = (createObjectURL.mock.calls[0] as unknown as [Blob])[0]
    expect(await blob.text()).toBe('green\nplain')
    expect((click.mock.contexts[0] as HTMLAnchorElement).download).toBe('alpha-guest.log')

    await button('Open log folder')?.trigger('click')
    await flushPromises()
    expect(openLogFolder).toHaveBeenCalledWith({ name: 'alpha' })
    vi.unstubAllGlobals()
  })

  it('carries a colour over to the next lines, also from earlier pages read after the end was shown', async () => {
    const { view, release } = await setupHoldingEarlierPages(`${ESC}[31mpanic: out of memory\n${lines(120_000)}${ESC}[0mreset\nafter\n`)
    const colourOf = (text: string) => view.findAll('.log-row').find((row) => row.text() === text)?.find('.ansi-fg-31').exists()
    // The red was set before the lines shown: not known yet.
    expect([colourOf('line 119999'), colourOf('reset'), colourOf('after')]).toEqual([false, false, false])
    release()
    await flushPromises()
    expect([colourOf('line 119999'), colourOf('reset'), colourOf('after')]).toEqual([true, false, false])
    await scrollTo(scroller(view), 0)
    expect([colourOf('panic: out of memory'), colourOf('line 0'), colourOf('line 1')]).toEqual([true, true, true])
  })

  it('renders ANSI colours as classes, and shows arrival times and wrapping on request', async () => {
    const { view } = await setup({ 'alpha/guest': `${ESC}[1;31mfail${ESC}[0m plain${ESC}[2K\n` })
    const row = view.get('.log-row')
    expect(row.text()).toBe('fail plain')
    expect(row.get('.ansi-fg-31').classes()).toContain('ansi-bold')
    await view.get('button[aria-pressed="false"]:nth-of-type(3)').trigger('click') // Timestamps
    expect(view.get('.log-time').text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/)
    await view.get('button[aria-pressed="false"]:nth-of-type(2)').trigger('click') // Wrap lines
    expect(scroller(view).classes()).toContain('log-scroller--wrap')
  })
})
