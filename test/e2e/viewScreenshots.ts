import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { repoRoot } from '../support/runCli'
import { openView, UI_MS } from './appPage'

const VIEWS = { instances: 'Instances', launch: 'Launch', logs: 'Logs', host: 'Host', settings: 'Settings' } as const
const THEMES = ['light', 'dark'] as const

export type ViewName = keyof typeof VIEWS
export type Screenshots = Record<`${ViewName}-${(typeof THEMES)[number]}`, Buffer>

/** Set to 1 to write the screenshots to docs/screenshots/ (they are committed from a real run). */
const SCREENSHOTS_ENV = 'BPVM_SCREENSHOTS'
const SCREENSHOT_DIR = join(repoRoot, 'docs', 'screenshots')

/** A point on the header, away from anything that reacts to hover. */
const RESTING_POINTER = { x: 1, y: 1 }

/**
 * Every view in both themes, each once `ready` says it shows what it is for. The theme is set
 * as a user sets it, in the Settings view (which saves it).
 */
export async function viewScreenshots(page: Page, ready: Record<ViewName, () => Promise<void>>): Promise<Screenshots> {
  const shots: Partial<Screenshots> = {}
  for (const theme of THEMES) {
    await openView(page, 'Settings')
    await page.getByLabel('Theme', { exact: true }).selectOption(theme)
    await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached', timeout: UI_MS })
    for (const [view, title] of Object.entries(VIEWS) as Array<[ViewName, string]>) {
      await openView(page, title)
      await ready[view]()
      // No hover effect on the link just clicked.
      await page.mouse.move(RESTING_POINTER.x, RESTING_POINTER.y)
      shots[`${view}-${theme}`] = await screenshot(page, `${view}-${theme}`)
    }
  }
  return shots as Screenshots
}

/** The page as it is now, also written to docs/screenshots/NAME.png when screenshots are asked for. */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  const png = await page.screenshot({ animations: 'disabled' })
  if (process.env[SCREENSHOTS_ENV] === '1') {
    await mkdir(SCREENSHOT_DIR, { recursive: true })
    await writeFile(join(SCREENSHOT_DIR, `${name}.png`), png)
  }
  return png
}
