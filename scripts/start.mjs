#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run; elsewhere (no display, no Electron binary)
// says why in one line and serves the same UI to a browser with `bpvm serve` instead.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const electronVite = fileURLToPath(new URL('../node_modules/electron-vite/bin/electron-vite.js', import.meta.url))
const bpvm = fileURLToPath(new URL('../bin/bpvm.js', import.meta.url))

/**
 * Why the desktop app cannot start here, or undefined. The `electron` package's own entry would
 * try to download a missing binary, so its path file and dist/ are read instead.
 */
export function electronUnavailable(env = process.env, platform = process.platform, electronDir = new URL('../node_modules/electron/', import.meta.url)) {
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'no display ($DISPLAY and $WAYLAND_DISPLAY are unset)'
  let binary
  try {
    binary = readFileSync(new URL('path.txt', electronDir), 'utf8').trim()
  } catch {
    return 'the Electron binary is not installed (node_modules/electron/path.txt is missing)'
  }
  if (!binary || !existsSync(fileURLToPath(new URL(`dist/${binary}`, electronDir)))) return `the Electron binary is not installed (node_modules/electron/dist/${binary} is missing)`
  return undefined
}

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

async function main() {
  // Ctrl-C reaches the child too; this process waits for it to finish rather than dying first.
  process.on('SIGINT', () => undefined)
  const reason = electronUnavailable()
  if (reason === undefined) {
    process.exitCode = await run([electronVite, 'preview'])
    return
  }
  process.stderr.write(`bpvm: cannot start the desktop app: ${reason}; serving the UI to a browser instead (bpvm serve)\n`)
  // `electron-vite preview` builds first; so does this, so both ways run the current code.
  const built = await run([electronVite, 'build'], { stdio: ['inherit', 'ignore', 'inherit'] })
  if (built !== 0) {
    process.exitCode = built
    return
  }
  // `npm start -- --port 8080` passes its flags on to `bpvm serve`.
  process.exitCode = await run([bpvm, 'serve', ...process.argv.slice(2)])
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
