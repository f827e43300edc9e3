import type { Browser, Page } from 'playwright-core'
import { expect } from 'vitest'
import { instanceRow, openView, waitForText } from './appPage'
import { VIEWPORT } from './chromium'
import { screenshot } from './viewScreenshots'

// Keys reach the guest's shell over a TCG guest's virtio console: allow for a slow machine.
const SHELL_MS = 60_000

const rows = (page: Page) => page.locator('[data-test="console-screen"] .xterm-rows')

async function attached(page: Page): Promise<void> {
  await page
    .locator('[data-test="console-screen"][data-attached="true"]')
    .waitFor({ timeout: SHELL_MS })
    .catch(async (error: Error) => {
      throw new Error(`the console did not attach: ${error.message}; the page at ${page.url()} says: ${(await page.locator('main').textContent().catch(() => '')) ?? ''}`)
    })
  await page.locator('[data-test="console-screen"] .xterm-helper-textarea').focus()
}

/** What `stty size` says in the console now: the guest's idea of the window. */
async function sttySize(page: Page, tag: string): Promise<string> {
  await page.keyboard.type(`echo size-${tag}: $(stty size)\n`)
  const pattern = new RegExp(`size-${tag}: (\\d+ \\d+)`)
  await waitForText(rows(page), pattern, SHELL_MS)
  return pattern.exec((await rows(page).textContent()) ?? '')![1]!
}

/**
 * The Console, as a user meets it: from the instance's row, a root shell in the guest; what is
 * typed comes back; a smaller window is a smaller terminal for the guest too; a second browser
 * tab on the same instance shows the same screen, and sees what the first types.
 */
export async function useConsole(browser: Browser, page: Page, serverUrl: string, name: string): Promise<void> {
  await instanceRow(page, name).getByRole('button', { name: `Console of ${name}` }).click()
  expect(page.url()).toContain(`#/console/${name}`)
  await attached(page)
  await page.keyboard.press('Enter')
  await page.keyboard.type('echo marker-$((40000 + 4321))\n')
  await waitForText(rows(page), /marker-44321/, SHELL_MS)
  await page.keyboard.type('uname -sr; echo "uid $(id -u)"\n')
  await waitForText(rows(page), /uid 0/, SHELL_MS)
  // The theme the view screenshots left it in (dark).
  expect((await screenshot(page, 'console-dark')).subarray(1, 4).toString()).toBe('PNG')

  const before = await sttySize(page, 'large')
  await page.setViewportSize({ width: 900, height: 560 })
  await page.waitForTimeout(500)
  const after = await sttySize(page, 'small')
  expect(after).not.toBe(before)
  await page.setViewportSize(VIEWPORT)

  // The second tab opens the app as the first did, then the instance's console from its row.
  const other = await browser.newPage({ viewport: VIEWPORT })
  await other.goto(serverUrl)
  await openView(other, 'Instances')
  await instanceRow(other, name).getByRole('button', { name: `Console of ${name}` }).click()
  await attached(other)
  await waitForText(rows(other), /marker-44321/, SHELL_MS)
  await attached(page)
  await page.keyboard.type('echo both-$((6 * 7))\n')
  await waitForText(rows(other), /both-42/, SHELL_MS).catch(async (error: Error) => {
    const text = async (tab: Page): Promise<string> => `${tab.url()}: ${JSON.stringify(await rows(tab).first().textContent({ timeout: 5_000 }).catch((e: Error) => e.message))}`
    throw new Error(`${error.message}\nfirst tab ${await text(page)}\nsecond tab ${await text(other)}`)
  })
  await other.close()
}
