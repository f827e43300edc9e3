// Finds the Electron executable the way the `electron` package itself does, and fetches a
// missing one with that package's own installer (node_modules/electron/install.js), which honours
// ELECTRON_MIRROR, electron_config_cache, electron_use_remote_checksums and the proxy variables.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The executable inside Electron's dist/ on each platform (what install.js writes to path.txt). */
export function platformExecutable(platform = process.platform) {
  if (platform === 'darwin' || platform === 'mas') return 'Electron.app/Contents/MacOS/Electron'
  if (platform === 'win32') return 'electron.exe'
  return 'electron'
}

/** Why no window can open here (X11 or Wayland desktops only), or undefined. */
export function missingDisplay(env = process.env, platform = process.platform) {
  const needsDisplay = platform === 'linux' || platform === 'freebsd' || platform === 'openbsd'
  if (needsDisplay && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'no display ($DISPLAY and $WAYLAND_DISPLAY are unset)'
  return undefined
}

function readText(file) {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Where the Electron executable is, as `require('electron')` would answer it:
 * `{ path }` when it is there; `{ missing, installable }` when it is not, `installable` when
 * Electron's installer may fetch it (never when ELECTRON_OVERRIDE_DIST_PATH names the binary).
 * Installed means what install.js itself checks: dist/version is this package's version,
 * path.txt names this platform's executable, and that file exists.
 */
export function locateElectron({ env = process.env, platform = process.platform, electronDir }) {
  const dir = fileURLToPath(electronDir)
  const pathTxt = readText(join(dir, 'path.txt'))
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const path = join(env.ELECTRON_OVERRIDE_DIST_PATH, pathTxt || platformExecutable(platform))
    if (existsSync(path)) return { path }
    return { missing: `ELECTRON_OVERRIDE_DIST_PATH is set, but ${path} does not exist`, installable: false }
  }
  const version = JSON.parse(readText(join(dir, 'package.json')) ?? '{}').version
  const expected = platformExecutable(platform)
  if (pathTxt === undefined) return { missing: 'the Electron binary is not installed (node_modules/electron/path.txt is missing)', installable: true }
  const installedVersion = readText(join(dir, 'dist', 'version'))?.trim().replace(/^v/, '')
  if (pathTxt !== expected || installedVersion !== version) {
    return { missing: `the installed Electron binary is not ${version} for this platform (found ${installedVersion ?? 'no version'}, ${pathTxt})`, installable: true }
  }
  const path = join(dir, 'dist', pathTxt)
  if (!existsSync(path)) return { missing: `the Electron binary is not installed (node_modules/electron/dist/${pathTxt} is missing)`, installable: true }
  return { path }
}

async function treeBytes(dir) {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await treeBytes(path)
    else total += (await stat(path).catch(() => ({ size: 0 }))).size
  }
  return total
}

const mebibytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/**
 * The installer's error in one line: the line before its stack trace (install.js prints
 * `err.stack`), or its last line, with where it downloaded from when the message does not say.
 */
export function installerError(stderr, env = process.env) {
  const lines = stderr.split('\n').map((line) => line.trimEnd())
  const stackStart = lines.findIndex((line) => /^\s+at\s/.test(line))
  const headline = (stackStart > 0 ? lines[stackStart - 1] : lines.filter((line) => line.trim() !== '').at(-1)) ?? 'the installer failed without a message'
  const mirror = env.ELECTRON_MIRROR || env.npm_config_electron_mirror
  if (/https?:\/\//.test(headline)) return headline.trim()
  return `${headline.trim()} (downloading from ${mirror ? `ELECTRON_MIRROR ${mirror}` : "Electron's release downloads"})`
}

/**
 * Runs Electron's own installer, saying that it downloads and how far it has got (the bytes it
 * has written so far, measured in a temporary directory of its own). Answers `{ ok: true }`,
 * `{ ok: false, error }` with the installer's error in one line, or
 * `{ ok: false, interrupted: true }` when Ctrl-C or a signal stopped it.
 */
export async function installElectron({ electronDir, env = process.env, log = (line) => process.stderr.write(`${line}\n`) }) {
  const { version } = JSON.parse(readFileSync(new URL('package.json', electronDir), 'utf8'))
  const scratch = await mkdtemp(join(tmpdir(), 'bpvm-electron-install-'))
  const started = Date.now()
  // @electron/get uses its proxy support only when asked; the proxy variables are the ask here.
  const proxied = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy
  const installerEnv = { ...env, TMPDIR: scratch, ...(proxied && !env.ELECTRON_GET_USE_PROXY ? { ELECTRON_GET_USE_PROXY: 'true' } : {}) }
  log(`bpvm: downloading Electron ${version} for the desktop app (first start only)…`)
  let seen = 0
  let lastLine = started
  const progress = setInterval(async () => {
    seen = Math.max(seen, await treeBytes(scratch))
    if (Date.now() - lastLine >= 5_000 && seen > 0) {
      lastLine = Date.now()
      const seconds = (Date.now() - started) / 1000
      log(`bpvm: downloading Electron ${version}: ${mebibytes(seen)} (${mebibytes(seen / seconds)}/s)`)
    }
  }, 500)
  try {
    const outcome = await new Promise((resolve) => {
      const child = spawn(process.execPath, [join(fileURLToPath(electronDir), 'install.js')], { env: installerEnv, stdio: ['ignore', 'inherit', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')))
      child.on('error', (error) => resolve({ ok: false, error: `could not run Electron's installer: ${error.message}` }))
      child.on('close', (code, signal) => {
        if (signal || code === 130) resolve({ ok: false, interrupted: true })
        else if (code === 0) resolve({ ok: true })
        else resolve({ ok: false, error: installerError(stderr, env) })
      })
    })
    if (!outcome.ok) return outcome
    const seconds = (Date.now() - started) / 1000
    log(`bpvm: Electron ${version} installed in ${seconds.toFixed(1)} s${seen > 0 ? ` (${mebibytes(seen)} downloaded)` : ''}`)
    return { ok: true }
  } finally {
    clearInterval(progress)
    await rm(scratch, { recursive: true, force: true })
  }
}
