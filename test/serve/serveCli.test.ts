import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { builtRendererDir, requireBuiltRenderer } from '../../src/main/serve/staticFiles'
import { lineLog } from '../support/netns'
import { cliCommand, repoRoot, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'
import { httpGet } from './serverHarness'

// `npm ci` builds the app (the `prepare` script), so the UI is there wherever the suite runs in CI.
const inCi = process.env.CI === 'true' || process.env.CI === '1'
const describeWithUi = existsSync(join(repoRoot, 'out', 'renderer', 'index.html')) || inCi ? describe : describe.skip

const URL_LINE = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/

describeWithUi('bpvm serve (the CLI, from source, with the real runtime worker)', () => {
  const tempDir = useTempDirs()

  it('prints one URL with a token, serves the page to it, and stops on SIGTERM', async () => {
    const [node, args] = cliCommand(['serve', '--port', '0'])
    const child = execa(node, args, { cwd: repoRoot, env: { BPVM_HOME: await tempDir() }, reject: false, buffer: false, stdin: 'ignore', stderr: 'pipe' })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    try {
      const output = lineLog(child)
      const line = await output.waitFor((l) => l.startsWith('http'), 60_000)
      const [, portText, token] = URL_LINE.exec(line) ?? []
      expect(line).toMatch(URL_LINE)
      const port = Number(portText)

      const first = await httpGet(port, `/?token=${token}`)
      expect(first.status).toBe(303)
      const cookie = String(first.headers['set-cookie']?.[0]).split(';')[0] ?? ''
      expect(first.headers.location).toBe(`/#token=${token}`)
      const page = await httpGet(port, '/', { Cookie: cookie })
      expect(page.status).toBe(200)
      expect(page.body).toContain('<div id="app"></div>')
      expect((await httpGet(port, '/')).status).toBe(401)

      child.kill('SIGTERM')
      const ended = await child
      expect(ended.exitCode).toBe(0)
      expect(output.lines).toEqual([line])
      expect(stderr).toContain('bpvm: stopped serving; VMs keep running')
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('refuses a host other machines can reach without --allow-remote, in one line', async () => {
    const run = await runCli(['serve', '--host', '0.0.0.0'])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderrLines).toEqual(['bpvm: --host 0.0.0.0 is reachable from other machines: pass --allow-remote as well if that is what you want'])
  })

  it('warns before serving where others can reach it (here: an address this machine lacks, so it then fails)', async () => {
    const run = await runCli(['serve', '--host', '192.0.2.1', '--port', '0', '--allow-remote'])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderrLines).toEqual([
      'bpvm: warning: serving on 192.0.2.1, not loopback: anyone who can reach this address and has the token controls your VMs',
      'bpvm: --host 192.0.2.1: no interface of this machine has that address'
    ])
  })

  it('names the flag of a bad port', async () => {
    const run = await runCli(['serve', '--port', '99999'])
    expect(run.exitCode).toBe(1)
    expect(run.stderrLines).toEqual(['bpvm: --port: must be a number from 0 to 65535'])
  })
})

describe('where bpvm serve finds the UI', () => {
  const tempDir = useTempDirs()

  it('is out/renderer beside the bundle, or the repository’s out/renderer from source', () => {
    expect(builtRendererDir(pathToFileURL('/opt/bpvm/out/main/runServe-abc.js').href)).toBe('/opt/bpvm/out/renderer')
    expect(builtRendererDir(pathToFileURL('/src/bpvm/src/main/serve/staticFiles.ts').href)).toBe('/src/bpvm/out/renderer')
    expect(builtRendererDir()).toBe(join(repoRoot, 'out', 'renderer'))
  })

  it('says in one line to build it when it is missing', async () => {
    const dir = await tempDir()
    expect(() => requireBuiltRenderer(dir)).toThrow(expect.objectContaining({ code: 'UI_NOT_BUILT', message: expect.stringMatching(/^the UI is not built .* run `npm run build` first$/) }))
  })
})
