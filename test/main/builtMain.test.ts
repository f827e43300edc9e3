import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHANNELS } from '../../src/shared/api'
import { shellApi } from '../../src/shared/api/shell'
import { repoRoot } from '../support/runCli'

const builtMainDir = fileURLToPath(new URL('./builtMain/', import.meta.url))

interface Report {
  mainPid: number
  channels: string[]
  window: { url: string; options: { show?: boolean; backgroundColor?: string; webPreferences?: Record<string, unknown> } }
  settings: { ok: boolean; value?: { app: { onQuit: string }; dirs: { state: string } } }
  doctor: { ok: boolean; value?: { programs: { program: string; found: boolean }[]; host: unknown[] } }
  shellInfo: unknown
  foreign: { ok: boolean; error?: { code: string } }
  malformed: { ok: boolean; error?: { code: string } }
  quitDeferred?: boolean
  uncloneable: { ok: boolean; error?: { code: string; message: string } }
  afterFatalError: { ok: boolean }
  afterKill: { ok: boolean }
  workers: { modulePath: string; options: unknown; pid: number; calls: string[]; exitCode: number | string | undefined; exitReported: number | undefined }[]
  eventsSent: [string, { event: string; payload: { state?: string; message?: string } }][]
}

/**
 * The app as `electron-vite build` emits it, run under plain Node: Electron is a stub that
 * records handlers and starts utility processes as real Node children, so the runtime answers
 * from its own process, exactly as the packaged app's worker would.
 */
describe('the built main bundle', () => {
  let outDir: string
  let home: string
  let report: Report

  beforeAll(async () => {
    // A build of its own (inside the repo, so the bundle finds node_modules), so other tests using out/ are undisturbed.
    await mkdir(join(repoRoot, 'node_modules', '.cache'), { recursive: true })
    outDir = await mkdtemp(join(repoRoot, 'node_modules', '.cache', 'bpvm-built-main-'))
    home = await mkdtemp(join(tmpdir(), 'bpvm-built-main-home-'))
    await execa('npx', ['electron-vite', 'build', '--outDir', outDir, '--logLevel', 'warn'], { cwd: repoRoot })
    // The worker reconciles at start; as root it gets an empty network namespace for that, never this host's.
    const isolated = process.getuid?.() === 0 ? ['unshare', '--net'] : []
    const [program = process.execPath, ...args] = [
      ...isolated,
      process.execPath,
      '--import', join(builtMainDir, 'registerElectronStub.mjs'), join(builtMainDir, 'driveBuiltMain.mjs'), join(outDir, 'main', 'index.js')
    ]
    const run = await execa(
      program,
      args,
      { cwd: repoRoot, env: { BPVM_HOME: home, BPVM_STUB_UNCLONEABLE_ANSWER: 'host:interfaces' }, timeout: 120_000 }
    )
    const last = run.stdout.trim().split('\n').at(-1) ?? ''
    report = JSON.parse(last) as Report
  })
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true })
    await rm(home, { recursive: true, force: true })
  })

  it('registers one handler for every API channel and the shell channels, nothing else', () => {
    const shellChannels = Object.values(shellApi).map((spec) => spec.name)
    expect([...report.channels].sort()).toEqual([...CHANNELS.keys(), ...shellChannels].sort())
  })

  it('opens a hidden, dark, locked-down window on app://bpvm with the built preload', () => {
    expect(report.window.url).toBe('app://bpvm/index.html')
    expect(report.window.options).toMatchObject({ show: false, backgroundColor: '#16181d' })
    expect(report.window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: join(outDir, 'preload', 'index.cjs')
    })
  })

  it('answers settings:get and host:doctor from the runtime running in its worker process', () => {
    expect(report.settings).toMatchObject({ ok: true, value: { dirs: { state: join(home, 'state') } } })
    expect(['ask', 'stop', 'leave']).toContain(report.settings.value?.app.onQuit)
    expect(report.doctor.ok).toBe(true)
    expect(report.doctor.value?.programs.map((check) => check.program)).toContain('qemu-img')

    const [worker] = report.workers
    expect(worker?.modulePath).toBe(join(outDir, 'main', 'backend.js'))
    expect(worker?.options).toEqual({ serviceName: 'bpvm runtime', stdio: 'pipe' })
    expect(worker?.pid).not.toBe(report.mainPid)
    // Only the valid calls from our page reached it.
    expect(worker?.calls).toEqual(['settings:get', 'host:doctor', 'host:interfaces'])
  })

  it('answers a call whose answer Electron cannot clone with an error, instead of never', () => {
    expect(report.uncloneable).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: expect.stringContaining("host:interfaces: the runtime's answer could not be sent to the app (DataCloneError") } })
  })

  it("survives the worker's V8 fatal error and an outside kill, says which it was, and starts it again each time", () => {
    const restarting = report.eventsSent.map(([, message]) => message.payload).filter((status) => status.state === 'restarting')
    expect(restarting.map((status) => status.message)).toEqual([
      'the runtime worker crashed with a V8 fatal error (FatalError at v8::ToLocalChecked Empty MaybeLocal)',
      'the runtime worker was killed by SIGKILL (exit code 9)'
    ])
    expect(report.afterFatalError.ok).toBe(true)
    expect(report.afterKill.ok).toBe(true)
    expect(report.workers.map((worker) => worker.calls)).toEqual([
      ['settings:get', 'host:doctor', 'host:interfaces'],
      ['settings:get'],
      // Then the quit's check for running VMs.
      ['settings:get', 'instances:list']
    ])
  })

  it('refuses a foreign page and a malformed request before the runtime sees them', () => {
    expect(report.foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } })
    expect(report.malformed).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('serves the shell channels in the main process', () => {
    expect(report.shellInfo).toEqual({ ok: true, value: { transport: 'electron', version: '0.0.0-built-main-test' } })
  })

  it("forwards the worker's status to the window", () => {
    expect(report.eventsSent).toContainEqual(['bpvm:event', { event: 'backend:status', payload: expect.objectContaining({ state: 'ready' }) }])
  })

  it('on quit with no VM running, lets the worker shut down cleanly', () => {
    expect(report.quitDeferred).toBe(true)
    expect(report.workers[2]?.exitCode).toBe(0)
  })

  it('builds a preload that requires nothing but electron (a sandboxed preload can require little else)', async () => {
    const preload = await readFile(join(outDir, 'preload', 'index.cjs'), 'utf8')
    const required = [...preload.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1])
    expect(new Set(required)).toEqual(new Set(['electron']))
    expect(preload).not.toMatch(/\bimport\s/)
  })
})
