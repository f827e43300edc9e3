import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { cliCommand, repoRoot } from '../support/runCli'

export interface ServeProcess {
  /** The address `bpvm serve` printed, with its one-time token. */
  url: string
  /** SIGTERM, then its exit code once it stopped. */
  stop(): Promise<number | undefined>
  /** SIGKILL, for a `finally`: harmless once it stopped. */
  kill(): void
}

export interface ServeOptions {
  /** BPVM_HOME of the server and its runtime worker. */
  home: string
  /** A command to run it under, e.g. `ip netns exec <ns>`. */
  within?: readonly string[]
  startTimeoutMs?: number
}

/** `bpvm serve --port 0` from source, serving the built UI; resolves once it printed its address. */
export async function startServe({ home, within = [], startTimeoutMs = 60_000 }: ServeOptions): Promise<ServeProcess> {
  const ui = join(repoRoot, 'out', 'renderer', 'index.html')
  if (!existsSync(ui)) throw new Error(`${ui} is missing: run \`npx electron-vite build\` first`)
  const [node, args] = cliCommand(['serve', '--port', '0'])
  const [file = node, ...fileArgs] = [...within, node, ...args]
  const server = execa(file, fileArgs, { cwd: repoRoot, env: { BPVM_HOME: home }, stdin: 'ignore', buffer: false, reject: false })
  try {
    const url = await firstUrl(server, startTimeoutMs)
    return {
      url,
      async stop() {
        server.kill('SIGTERM')
        return (await server).exitCode
      },
      kill: () => void server.kill('SIGKILL')
    }
  } catch (error) {
    server.kill('SIGKILL')
    throw error
  }
}

/** The first stdout line that is an address; what it wrote to stderr goes into the error if there is none. */
function firstUrl(server: ResultPromise, timeoutMs: number): Promise<string> {
  let out = ''
  let err = ''
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer)
      reject(new Error(`bpvm serve ${why}; it wrote: ${err.trim() || '(nothing on stderr)'}`))
    }
    const timer = setTimeout(() => fail(`printed no address within ${timeoutMs} ms`), timeoutMs)
    server.stderr?.on('data', (chunk: Buffer) => void (err += chunk.toString('utf8')))
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const line = out.split('\n').find((l, i, all) => i < all.length - 1 && l.startsWith('http://'))
      if (line === undefined) return
      clearTimeout(timer)
      resolve(line)
    })
    void server.then((result) => fail(`exited (${result.exitCode ?? result.signal}) before printing its address`))
  })
}
