import type { Locator, Page } from 'playwright-core'

/** How long the UI gets to react to a click (not to boot a VM). */
export const UI_MS = 15_000

/** Waits until `locator` (one of the elements it matches) shows `text`. */
export async function waitForText(locator: Locator, text: string | RegExp, timeout = UI_MS): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout })
}

/** Opens a view from the navigation, as a user would, and waits for its heading. */
export async function openView(page: Page, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: title, exact: true }).click()
  await page.getByRole('heading', { name: title, level: 2, exact: true }).waitFor({ timeout: UI_MS })
}

/** The Instances table's row of `name`. */
export function instanceRow(page: Page, name: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) })
}

/** The status badge of `name`'s row (Finished reads "Stopped"). */
export function instanceStatus(page: Page, name: string): Locator {
  return instanceRow(page, name).locator('[data-test="status"]')
}
