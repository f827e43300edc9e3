#!/usr/bin/env node
// `npm start` (and `npm run dev`, with --dev): the desktop app where a window can open, fetching
// Electron's binary with Electron's own installer the first time; elsewhere, or when that fetch
// fails, it says why in one line and serves the same UI to a browser with `bpvm serve` instead.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { installElectron, locateElectron, missingDisplay } from './electronBinary.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const electronDir = new URL('../node_modules/electron/', import.meta.url)
const electronVite = fileURLToPath(new URL('../node_modules/electron-vite/bin/electron-vite.js', import.meta.url))
const bpvm = fileURLToPath(new URL('../bin/bpvm.js', import.meta.url))

/** Runs a command with this terminal, passes SIGTERM on, and ends with its exit code. */
function run(args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', ...options })
    // Ctrl-C reaches the child from the terminal by itself; a SIGTERM sent to npm or to us does not.
    const forward = () => child.kill('SIGTERM')
    process.on('SIGTERM', forward)
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward)
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1))
    })
  })
}

/**
 * The Electron executable to run, fetched first when it is missing and may be fetched; or
 * `{ reason }` to serve headless instead, or `{ interrupted }` when the user stopped the fetch.
 */
async function desktopElectron() {
  const noDisplay = missingDisplay()
  // Without a display there is nothing to download for: no request leaves this machine.
  if (noDisplay) return { reason: noDisplay }
  const found = locateElectron({ electronDir })
  if (found.path || !found.installable) return found.path ? found : { reason: found.missing }
  const fetched = await installElectron({ electronDir })
  if (fetched.interrupted) return { interrupted: true }
  if (!fetched.ok) return { reason: `Electron's binary could not be downloaded: ${fetched.error}; run \`npm start\` again to retry (ELECTRON_MIRROR picks another source)` }
  const installed = locateElectron({ electronDir })
  return installed.path ? installed : { reason: `Electron's installer finished, but ${installed.missing}` }
}

async function main() {
  // Ctrl-C reaches the child too; this process waits for it to finish rather than dying first.
  process.on('SIGINT', () => undefined)
  const dev = process.argv[2] === '--dev'
  const passOn = process.argv.slice(dev ? 3 : 2)
  const electron = await desktopElectron()
  if (electron.interrupted) {
    process.exitCode = 130
    return
  }
  if (electron.path) {
    const env = { ...process.env, ELECTRON_EXEC_PATH: electron.path }
    // Chromium refuses to start as root with its sandbox on; the page stays isolated from Node either way.
    if (process.getuid?.() === 0) {
      process.stderr.write("bpvm: running as root, so Chromium's process sandbox is off (--no-sandbox); the page still has no Node access\n")
      env.NO_SANDBOX = '1'
    }
    process.exitCode = await run([electronVite, dev ? 'dev' : 'preview'], { env })
    return
  }
  process.stderr.write(`bpvm: cannot start the desktop app: ${electron.reason}; serving the UI to a browser instead (bpvm serve)\n`)
  // `electron-vite preview` builds first; so does this, so both ways run the current code.
  const built = await run([electronVite, 'build'], { stdio: ['inherit', 'ignore', 'inherit'] })
  if (built !== 0) {
    process.exitCode = built
    return
  }
  // `npm start -- --port 8080` passes its flags on to `bpvm serve` (the desktop app takes none).
  process.exitCode = await run([bpvm, 'serve', ...passOn])
}

await main()
