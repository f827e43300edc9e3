import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { instanceRow, instanceStatus, openView, waitForText } from './appPage'
import { launchChromiumIn, VIEWPORT } from './chromium'
import { useConsole } from './consoleSteps'
import { startServe } from './serveProcess'
import { viewScreenshots } from './viewScreenshots'

const NAME = 'uisvc'
const FIRST = 'uisvc: starting up'
const NEEDLE = 'needle-4711'

// Prints what the test looks for (one word in green), then waits for the power button's SIGINT.
const SERVICE = `#!/bin/sh
echo "${FIRST}"
printf 'uisvc: \\033[32mready\\033[0m to serve\\n'
echo "uisvc: listening on 127.0.0.1:8080"
echo "uisvc: ${NEEDLE} is in this line"
trap 'echo "uisvc: SIGINT"; exit 0' INT
while :; do sleep 1; done
`

// TCG boots take seconds, tens of them on a busy machine.
const BOOT_MS = 300_000
const STOP_MS = 120_000

describeAsRoot('the UI end to end (Chromium, bpvm serve, QEMU TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(
    ['chromium', 'qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod'],
    'a user launches, follows, searches, types into the console of and stops a VM in the browser',
    () => {
      const { home, host, expectNothingLeft } = useLifecycleHost('ui')

      it('launches from the form, shows the service log, finds a line, and stops the VM leaving nothing behind', async () => {
        const { ns, work } = await host(SERVICE)
        // Server, runtime worker and browser all run inside the namespace; the test drives them from outside.
        const server = await startServe({ home, within: ['ip', 'netns', 'exec', ns] })
        const browser = await launchChromiumIn(ns, work)
        try {
          const page = await browser.newPage({ viewport: VIEWPORT })
          // The redirect sets the cookie (the page's files) and hands the token to the page in the fragment, which the page takes out of the URL.
          await page.goto(server.url)
          expect(page.url()).not.toContain('token=')
          // The tab keeps the token across a reload (session storage), never in the URL.
          await page.reload()
          expect(page.url()).not.toContain('token=')

          await openView(page, 'Launch')
          await page.getByLabel('Name', { exact: true }).fill(NAME)
          await page.getByLabel('Blueprint binary').fill(join(work, 'service.sh'))
          await page.getByLabel('Keystore directory (optional)').fill(join(work, 'keystore'))
          // The RPC URLs and the protocol keep their defaults (a local Tangle node).
          await page.getByLabel('Blueprint ID · BLUEPRINT_ID').fill('1')
          await page.getByLabel('Service ID · SERVICE_ID').fill('2')
          await page.getByLabel('Memory (MiB)').fill('256')
          await page.getByLabel('Data disk (GiB)').fill('1')
          await page.getByLabel('VMM', { exact: true }).selectOption('qemu')
          await page.getByLabel('Image', { exact: true }).selectOption('dev')
          await page.getByLabel('Accelerator', { exact: true }).selectOption('tcg')
          // No node runs in the namespace: the form's live check says so, and the user launches past it.
          await waitForText(page.locator('[data-test="rpc-check-env.httpRpcUrl"]'), 'nothing answers at http://127.0.0.1:9944 (connection refused)')
          await page.getByLabel('Launch even if nothing answers at the RPC URLs').check()
          await recordTraySteps(page)
          await page.getByRole('button', { name: 'Launch', exact: true }).click()

          // The tray names each step as the launch reaches it; once it is done the view moves to the logs.
          const steps = await watchLaunch(page, BOOT_MS)
          expect(steps).toEqual(expect.arrayContaining(['disks', 'vmm', 'running']))
          expect(steps.at(-1)).toBe('running')
          expect(page.url()).toContain(`#/logs/${NAME}/guest`)
          await waitForText(page.getByRole('complementary', { name: /^Tasks/ }), 'Done')

          const lines = page.getByRole('region', { name: 'Log lines' })
          await waitForText(lines, FIRST, BOOT_MS)
          await waitForText(lines, NEEDLE)
          // The escape sequence is shown as colour, not as text.
          await waitForText(lines, 'uisvc: ready to serve')
          await lines.locator('.ansi-fg-32', { hasText: 'ready' }).waitFor()
          expect(await lines.textContent()).not.toContain('[32m')

          await page.keyboard.press('Control+f')
          const search = page.getByRole('searchbox', { name: 'Search the log' })
          await search.waitFor()
          expect(await search.evaluate((input) => input === input.ownerDocument.activeElement)).toBe(true)
          await search.fill(NEEDLE)
          const count = page.getByRole('search').getByRole('status')
          await waitForText(count, /^(1 of \d+|\d+ matches)$/)
          expect(Number(/(\d+)(?: matches)?$/.exec((await count.textContent()) ?? '')?.[1])).toBeGreaterThanOrEqual(1)
          await page.keyboard.press('Escape')

          await openView(page, 'Instances')
          await waitForText(instanceStatus(page, NAME), 'Running')
          // Its bridge, and how the guest reaches it (this service never dials it): vsock where the
          // host has vhost-device-vsock (CI installs it), otherwise the dev guest has no way to it.
          await waitForText(instanceRow(page, NAME).locator('[data-test="bridge"]'), /^\s*(waiting\s*vhost-user-vsock|none)\s*$/)

          // Folded, the tray keeps out of the views' way in the screenshots.
          const tray = page.getByRole('complementary', { name: /^Tasks/ })
          await tray.getByRole('button', { name: 'Hide' }).click()
          await tray.getByRole('button', { name: 'Show' }).waitFor()
          const shots = await viewScreenshots(page, {
            instances: () => waitForText(instanceStatus(page, NAME), 'Running'),
            launch: async () => {
              await waitForText(page.getByRole('region', { name: 'Launch progress' }), 'Done')
              await page.locator('[data-test="rpc-check-env.httpRpcUrl"]').waitFor()
            },
            logs: () => waitForText(page.getByRole('region', { name: 'Log lines' }), NEEDLE),
            host: () => page.getByRole('region', { name: 'Host programs' }).waitFor(),
            settings: () => page.getByLabel('Theme', { exact: true }).waitFor()
          })
          expect(Object.keys(shots)).toHaveLength(10)
          for (const png of Object.values(shots)) expect(png.subarray(1, 4).toString()).toBe('PNG')

          await openView(page, 'Instances')
          await useConsole(browser, page, server.url, NAME)

          // Stop asks nothing: the power button, then a forced stop once the grace period is over.
          await openView(page, 'Instances')
          const stop = instanceRow(page, NAME).getByRole('button', { name: new RegExp(`^Stop ${NAME} `) })
          await stop.click()
          await waitForText(instanceStatus(page, NAME), 'Stopped', STOP_MS)
          expect(await stop.isDisabled()).toBe(true)

          await browser.close()
          // Ctrl-C's way: the server and its worker stop in order.
          expect(await server.stop()).toBe(0)
        } finally {
          await browser.close()
          server.kill()
        }
        // No TAP, no rules, no lease, no VMM, no control socket.
        await expectNothingLeft(ns, NAME)
      }, 900_000)
    }
  )
})

/** Keeps, in the page, every step name the task tray shows, in order: some steps last a few milliseconds only. */
async function recordTraySteps(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const seen = (window.bpvmTraySteps = [])
    const note = () => {
      const step = document.querySelector('[data-test="task-tray"] .task-step-name')?.textContent?.trim()
      if (step && seen[seen.length - 1] !== step) seen.push(step)
    }
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true })
  })()`)
}

/** Waits until the launch ends and the Logs view opens; answers the tray's steps; fails with the tray's text if the launch fails. */
async function watchLaunch(page: Page, timeoutMs: number): Promise<string[]> {
  const tray = page.getByRole('complementary', { name: /^Tasks/ })
  const logs = page.getByRole('heading', { name: 'Logs', level: 2 })
  const steps = async (): Promise<string[]> => (await page.evaluate('window.bpvmTraySteps')) as string[]
  const deadline = Date.now() + timeoutMs
  while (!(await logs.isVisible())) {
    const failed = await tray.locator('[data-state="failed"], [data-state="cancelled"]').count()
    if (failed > 0 || Date.now() > deadline) {
      const why = failed > 0 ? 'failed' : `did not finish within ${timeoutMs} ms`
      throw new Error(`the launch ${why}: ${(await tray.textContent().catch(() => '')) ?? ''} (steps seen: ${(await steps()).join(', ')})`)
    }
    await page.waitForTimeout(250)
  }
  return steps()
}
