import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { expect, it } from 'vitest'
import { launchChromiumIn } from '../e2e/chromium'
import { startServe } from '../e2e/serveProcess'
import { useLifecycleHost, type Cli } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { DEAD_PROCESS, recordFixture } from '../support/recordFixture'
import { envelope } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'
import { FULL_STATE_DIR } from '../support/fullStateDir'

const SERVICE = `#!/bin/sh
echo "svc: up"
trap 'exit 0' INT TERM
while :; do sleep 1; done
`


// A page of another program on this host's loopback: answers every request with an empty page and
// prints the Cookie header each request brought, one JSON line each.
const OTHER_LOCAL_SERVER = `
const server = require('node:http').createServer((request, response) => {
  process.stdout.write(JSON.stringify(request.headers.cookie ?? '') + '\\n')
  response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>another local program</title>')
})
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'))
`

/**
 * The hardening faults together, in one network namespace and one home: parallel launches while
 * another command reconciles, a corrupt record and a crafted one among the good, a full state
 * disk, and a page of another local program trying the serve cookie from Chromium.
 */
describeAsRoot('the fault suite (QEMU, TCG, dev guest, one network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'unshare', 'mount', 'chromium'], 'every fault at once', () => {
    const { home, host, launchArgs, waitForStatus, expectNetworkClean } = useLifecycleHost('fault-suite')
    const tempDir = useTempDirs()

    /** Launches `names` at once while `bpvm reconcile` runs over and over; every reconcile must succeed. */
    async function launchWhileReconciling(cli: Cli, work: string, names: string[]): Promise<number> {
      let launching = true
      let reconciles = 0
      const reconciling = (async () => {
        while (launching) {
          const result = envelope(await cli(['reconcile', '--json']))
          expect(result, JSON.stringify(result)).toMatchObject({ ok: true })
          reconciles++
        }
      })()
      const launches = await Promise.all(names.map((name) => cli([...launchArgs(work, name), '--memory', '128M']))).finally(() => (launching = false))
      await reconciling
      for (const [i, launched] of launches.entries()) expect(envelope(launched), `${names[i]}: ${launched.stderr}`).toMatchObject({ ok: true, value: { kind: 'launch', target: names[i], state: 'succeeded' } })
      return reconciles
    }

    it('parallel launches reach Running while another command reconciles; broken and crafted records are listed, never acted on; a full state disk still purges; the cookie alone opens nothing', async () => {
      const { ns, work, cli } = await host(SERVICE)
      const instances = join(home, 'state', 'instances')
      // A crafted record whose name leads out of the home, and a record that is not JSON.
      const escape = `escaped-${randomBytes(4).toString('hex')}`
      const escapeTarget = join(dirname(home), escape)
      await mkdir(join(instances, 'crafted'), { recursive: true })
      await writeFile(join(instances, 'crafted', 'instance.json'), JSON.stringify(recordFixture(`../../../${escape}`, 30, { process: DEAD_PROCESS })))
      await mkdir(join(instances, 'garbage'), { recursive: true })
      await writeFile(join(instances, 'garbage', 'instance.json'), '{ not a record')
      try {
        for (const [round, count] of [[1, 2], [2, 3], [3, 4]] as const) {
          const names = Array.from({ length: count }, (_, i) => `r${round}-${i}`)
          const reconciles = await launchWhileReconciling(cli, work, names)
          expect(reconciles).toBeGreaterThan(0)
          for (const name of names) await waitForStatus(cli, name, 'Running', 90_000)
          const rows = envelope(await cli(['ls', '--json'])).value as Array<{ name: string; status: string; broken?: { file: string } }>
          expect(rows.filter((r) => r.broken).map((r) => [r.name, basename(dirname(r.broken!.file))])).toEqual([['crafted', 'crafted'], ['garbage', 'garbage']])
          const down = envelope(await cli(['down', '--all', '--force', '--json']))
          expect(down).toMatchObject({ ok: true })
          expect((down.value as Array<{ name: string }>).map((d) => d.name).sort()).toEqual(expect.arrayContaining(names))
          await expectNetworkClean(ns)
          expect(existsSync(escapeTarget)).toBe(false)
        }

        // A full state disk: `down --purge` frees it, with the broken records still there.
        const prepared = await tempDir()
        await cp(join(home, 'state'), prepared, { recursive: true })
        const listing = join(await tempDir(), 'left')
        const purged = await cli(['down', 'r3-0', '--purge', '--json'], ['unshare', '-m', 'sh', '-c', FULL_STATE_DIR, join(home, 'state'), prepared, listing])
        expect(envelope(purged)).toMatchObject({ ok: true, value: { name: 'r3-0', purged: true } })
        expect((await readFile(listing, 'utf8')).split('\n').filter((line) => line.includes('/r3-0/'))).toEqual([])

        await cookieOnlySocketIsRefused(ns)
        expect(existsSync(escapeTarget)).toBe(false)
      } finally {
        await cli(['down', '--all', '--force', '--json'])
      }
    }, 900_000)

    /** `bpvm serve` and another program's page, both on the namespace's loopback; Chromium there too. */
    async function cookieOnlySocketIsRefused(ns: string): Promise<void> {
      const within = ['ip', 'netns', 'exec', ns]
      const serve = await startServe({ home, within })
      const other = execaIn(within, [process.execPath, '-e', OTHER_LOCAL_SERVER])
      const browser = await launchChromiumIn(ns, await tempDir())
      try {
        const port = Number((await other.line((l) => l.startsWith('port '))).slice(5))
        const page = await browser.newPage()
        await page.goto(serve.url)
        const servePort = new URL(serve.url).port
        await page.goto(`http://127.0.0.1:${port}/`)
        const cookie = JSON.parse(await other.line((l) => l.includes(`bpvm_token_${servePort}=`))) as string
        expect(cookie).toContain(`bpvm_token_${servePort}=`)
        const opened = await page.evaluate(
          (url) => new Promise<string>((resolve) => {
            const socket = new WebSocket(url)
            socket.onopen = () => resolve('opened')
            socket.onerror = () => resolve('refused')
          }),
          `ws://127.0.0.1:${servePort}/api`
        )
        expect(opened).toBe('refused')
      } finally {
        await browser.close()
        other.stop()
        await serve.stop()
      }
    }
  })
})

/** A long-running child whose stdout lines can be waited for. */
function execaIn(within: readonly string[], command: readonly string[]) {
  const [file, ...args] = [...within, ...command]
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  const waiters: Array<() => void> = []
  let buffered = ''
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    lines.push(...parts)
    for (const wake of waiters.splice(0)) wake()
  })
  return {
    async line(test: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = lines.find(test)
        if (found !== undefined) return found
        if (Date.now() > deadline) throw new Error(`no such line within ${timeoutMs} ms; got ${JSON.stringify(lines)}`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 200)
        })
      }
    },
    stop: () => void child.kill('SIGKILL')
  }
}
