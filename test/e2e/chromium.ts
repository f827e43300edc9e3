import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'

/** Headless, and quiet: the browser fetches nothing but the pages it is sent to. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** The viewport every screenshot and measurement uses. */
export const VIEWPORT = { width: 1280, height: 800 }

/** The system's Chromium (Debian's package; `scripts/install-system-deps.sh --test` installs it). */
export function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim()
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}

/**
 * Chromium inside network namespace `ns`, to reach a server on that namespace's loopback.
 * Playwright drives the browser over a pipe, so the test itself stays outside: the executable it
 * starts is a script (written into `dir`) that enters the namespace and then becomes Chromium.
 */
export async function launchChromiumIn(ns: string, dir: string): Promise<Browser> {
  const wrapper = join(dir, 'chromium-in-netns.sh')
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec '${ns}' chromium "$@"\n`, { mode: 0o755 })
  return chromium.launch({ executablePath: wrapper, args: CHROMIUM_ARGS })
}
