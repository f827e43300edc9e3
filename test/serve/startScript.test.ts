import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { startElectronMirror, type ElectronMirror } from '../support/electronMirror'
import { describeWithPrograms } from '../support/prerequisites'
import { repoRoot } from '../support/runCli'
import { stageFreshProject } from '../support/stagedProject'
import { useTempDirs } from '../support/tempDirs'

const ELECTRON_VERSION = (JSON.parse(await readFile(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version
const binaryModule = pathToFileURL(join(repoRoot, 'scripts', 'electronBinary.mjs')).href

/** Runs one function of scripts/electronBinary.mjs in a child (the script is plain JS, outside the TypeScript projects). */
async function binaryCall(expression: string): Promise<unknown> {
  const script = `import * as binary from ${JSON.stringify(binaryModule)}
    process.stdout.write(JSON.stringify((${expression}) ?? null))`
  const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', script])
  return JSON.parse(stdout)
}

describe("where the start script finds Electron's binary (scripts/electronBinary.mjs)", () => {
  const tempDir = useTempDirs()

  async function electronPackage(options: { pathTxt?: string; version?: string; binary?: boolean }): Promise<string> {
    const dir = await tempDir()
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'electron', version: ELECTRON_VERSION }))
    if (options.pathTxt !== undefined) await writeFile(join(dir, 'path.txt'), options.pathTxt)
    await mkdir(join(dir, 'dist'))
    if (options.version !== undefined) await writeFile(join(dir, 'dist', 'version'), options.version)
    if (options.binary) await writeFile(join(dir, 'dist', 'electron'), '')
    return dir
  }
  const locate = (dir: string, env: Record<string, string> = {}, platform = 'linux') =>
    binaryCall(`binary.locateElectron({ env: ${JSON.stringify(env)}, platform: ${JSON.stringify(platform)}, electronDir: new URL(${JSON.stringify(`${pathToFileURL(dir).href}/`)}) })`)

  it('finds an installed binary as Electron does: its version in dist/version, path.txt naming it, the file there', async () => {
    const installed = await electronPackage({ pathTxt: 'electron', version: `v${ELECTRON_VERSION}`, binary: true })
    expect(await locate(installed)).toEqual({ path: join(installed, 'dist', 'electron') })
  })

  it('has it fetched when it was never downloaded, is of another version, or is gone', async () => {
    expect(await locate(await electronPackage({}))).toEqual({ missing: 'the Electron binary is not installed (node_modules/electron/path.txt is missing)', installable: true })
    expect(await locate(await electronPackage({ pathTxt: 'electron', version: 'v1.0.0', binary: true }))).toEqual({
      missing: `the installed Electron binary is not ${ELECTRON_VERSION} for this platform (found 1.0.0, electron)`,
      installable: true
    })
    expect(await locate(await electronPackage({ pathTxt: 'electron', version: ELECTRON_VERSION }))).toEqual({
      missing: 'the Electron binary is not installed (node_modules/electron/dist/electron is missing)',
      installable: true
    })
  })

  it('honours ELECTRON_OVERRIDE_DIST_PATH as Electron does, and never fetches over it', async () => {
    const override = await tempDir()
    await writeFile(join(override, 'electron'), '')
    const bare = await electronPackage({})
    expect(await locate(bare, { ELECTRON_OVERRIDE_DIST_PATH: override })).toEqual({ path: join(override, 'electron') })
    const empty = await tempDir()
    expect(await locate(bare, { ELECTRON_OVERRIDE_DIST_PATH: empty })).toEqual({ missing: `ELECTRON_OVERRIDE_DIST_PATH is set, but ${join(empty, 'electron')} does not exist`, installable: false })
  })

  it('needs a display on X11/Wayland desktops only', async () => {
    expect(await binaryCall(`binary.missingDisplay({}, 'linux')`)).toBe('no display ($DISPLAY and $WAYLAND_DISPLAY are unset)')
    expect(await binaryCall(`binary.missingDisplay({ DISPLAY: ':0' }, 'linux')`)).toBeNull()
    expect(await binaryCall(`binary.missingDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')`)).toBeNull()
    expect(await binaryCall(`binary.missingDisplay({}, 'darwin')`)).toBeNull()
  })

  it("puts the installer's error in one line, saying where it downloaded from when the error does not", async () => {
    const http = 'HTTPError: Response code 404 (Not Found) for http://127.0.0.1:1/v1/electron.zip\n    at FetchDownloader.download (file:///x.js:48:23)\n'
    expect(await binaryCall(`binary.installerError(${JSON.stringify(http)}, {})`)).toBe('HTTPError: Response code 404 (Not Found) for http://127.0.0.1:1/v1/electron.zip')
    const offline = 'TypeError: fetch failed\n    at node:internal/deps/undici/undici:14976:13\n'
    expect(await binaryCall(`binary.installerError(${JSON.stringify(offline)}, { ELECTRON_MIRROR: 'http://127.0.0.1:1/' })`)).toBe('TypeError: fetch failed (downloading from ELECTRON_MIRROR http://127.0.0.1:1/)')
    expect(await binaryCall(`binary.installerError(${JSON.stringify(offline)}, {})`)).toBe("TypeError: fetch failed (downloading from Electron's release downloads)")
  })
})

const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/

interface StartRun {
  exitCode: number | undefined
  stderr: string
  stdoutLines: string[]
}

describeWithPrograms(['xvfb-run', 'Xvfb', 'xauth'], 'npm start on a fresh clone, against an Electron mirror on 127.0.0.1', () => {
  const tempDir = useTempDirs('bpvm-start-')
  const running: ResultPromise[] = []
  const mirrors: ElectronMirror[] = []
  afterEach(async () => {
    for (const child of running.splice(0)) {
      try {
        // Whatever is left of its process group (xvfb-run, npm, the server and its worker).
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
      await child.catch(() => undefined)
    }
    await Promise.all(mirrors.splice(0).map((mirror) => mirror.close()))
  })

  async function setUp(serves: 'release' | 'nothing') {
    const root = await tempDir()
    const project = await stageFreshProject(join(root, 'project'))
    await mkdir(join(root, 'mirror'))
    const mirror = await startElectronMirror({ dir: join(root, 'mirror'), version: ELECTRON_VERSION, serves })
    mirrors.push(mirror)
    const env: Record<string, string> = {}
    for (const [name, value] of Object.entries(process.env)) {
      // The machine's own display and Electron settings would decide for the test.
      if (value !== undefined && !/^(DISPLAY|WAYLAND_DISPLAY|ELECTRON_.*)$/.test(name)) env[name] = value
    }
    Object.assign(env, {
      ELECTRON_MIRROR: mirror.url,
      electron_use_remote_checksums: '1',
      electron_config_cache: join(root, 'electron-cache'),
      BPVM_HOME: join(root, 'home'),
      STANDIN_ELECTRON_RECORD: join(root, 'electron-ran.txt')
    })
    return { root, project, mirror, env }
  }

  /**
   * `npm start` (under xvfb-run when `display`), in a process group of its own: waits for it to
   * end, or for the headless server's address and then stops it with SIGTERM, as Ctrl-C would.
   */
  async function npmStart(project: string, env: Record<string, string>, display: boolean, script: 'start' | 'dev' = 'start'): Promise<StartRun> {
    const npm = script === 'start' ? ['npm', 'start'] : ['npm', 'run', 'dev']
    const command = display ? ['xvfb-run', '-a', ...npm] : npm
    const child = execa(command[0]!, command.slice(1), { cwd: project, env, extendEnv: false, detached: true, reject: false, stdin: 'ignore', buffer: false, timeout: 180_000 })
    running.push(child)
    let stderr = ''
    let stdout = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      if (stdout.split('\n').some((line) => URL_LINE.test(line)) && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
    })
    const ended = await child
    return { exitCode: ended.exitCode, stderr, stdoutLines: stdout.split('\n').filter((line) => line !== '') }
  }

  const bpvmLines = (run: StartRun) => run.stderr.split('\n').filter((line) => line.startsWith('bpvm: '))

  it('with a display: downloads the binary through Electron\'s installer, runs it on the built app, and does not download again', async () => {
    const { root, project, mirror, env } = await setUp('release')
    const first = await npmStart(project, env, true)
    expect(first.exitCode).toBe(0)
    const archive = `/v${ELECTRON_VERSION}/electron-v${ELECTRON_VERSION}-linux-x64.zip`
    expect(mirror.requests).toEqual([archive, `/v${ELECTRON_VERSION}/SHASUMS256.txt`])
    // An install that takes more than 5 s (a loaded host) says how far it has got, every 5 s.
    const progress = bpvmLines(first).filter((line) => line.startsWith(`bpvm: downloading Electron ${ELECTRON_VERSION}: `))
    for (const line of progress) expect(line).toMatch(/: \d+\.\d MiB \(\d+\.\d MiB\/s\)$/)
    const said = bpvmLines(first).filter((line) => !progress.includes(line))
    expect(said[0]).toBe(`bpvm: downloading Electron ${ELECTRON_VERSION} for the desktop app (first start only)…`)
    expect(said[1]).toMatch(new RegExp(`^bpvm: Electron ${ELECTRON_VERSION.replace(/\./g, '\\.')} installed in \\d+\\.\\d s`))

    const record = (await readFile(join(root, 'electron-ran.txt'), 'utf8')).trim().split('\n')
    const electronPath = join(project, 'node_modules', 'electron', 'dist', 'electron')
    expect(record).toContain(`cwd=${project}`)
    // electron-vite starts the app's entry ('.', i.e. package.json's main) once it has built it.
    expect(record).toContain('arg=.')
    expect(record).toContain('built=out/main/index.js')
    expect(record).toContain(`ELECTRON_EXEC_PATH=${electronPath}`)
    expect(record.find((line) => line.startsWith('DISPLAY='))).toMatch(/^DISPLAY=:\d+$/)
    // As root Chromium needs its sandbox off, and the script says so.
    if (process.getuid?.() === 0) {
      expect(record).toContain('arg=--no-sandbox')
      expect(bpvmLines(first)).toContain("bpvm: running as root, so Chromium's process sandbox is off (--no-sandbox); the page still has no Node access")
    }
    expect(await readFile(join(project, 'node_modules', 'electron', 'path.txt'), 'utf8')).toBe('electron')

    const second = await npmStart(project, env, true)
    expect(second.exitCode).toBe(0)
    expect(mirror.requests).toHaveLength(2)
    expect(bpvmLines(second).some((line) => line.includes('downloading'))).toBe(false)
  })

  it('with a display but a mirror that answers 404: says why in one line and serves the UI instead', async () => {
    const { project, mirror, env } = await setUp('nothing')
    const run = await npmStart(project, env, true)
    expect(mirror.requests).toEqual([`/v${ELECTRON_VERSION}/electron-v${ELECTRON_VERSION}-linux-x64.zip`])
    expect(bpvmLines(run)).toContain(
      `bpvm: cannot start the desktop app: Electron's binary could not be downloaded: HTTPError: Response code 404 (Not Found) for ${mirror.url}v${ELECTRON_VERSION}/electron-v${ELECTRON_VERSION}-linux-x64.zip; ` +
        'run `npm start` again to retry (ELECTRON_MIRROR picks another source); serving the UI to a browser instead (bpvm serve)'
    )
    expect(run.stdoutLines.filter((line) => URL_LINE.test(line))).toHaveLength(1)
  })

  it('without a display: serves the UI at once, and nothing reaches the mirror (npm start and npm run dev alike)', async () => {
    const { project, mirror, env } = await setUp('release')
    for (const script of ['start', 'dev'] as const) {
      const run = await npmStart(project, env, false, script)
      expect(mirror.requests).toEqual([])
      expect(bpvmLines(run)[0]).toBe('bpvm: cannot start the desktop app: no display ($DISPLAY and $WAYLAND_DISPLAY are unset); serving the UI to a browser instead (bpvm serve)')
      expect(run.stdoutLines.filter((line) => URL_LINE.test(line))).toHaveLength(1)
    }
  })
})
