import { parseArgs } from 'node:util'
import { runBridge } from './runBridge'

/**
 * The bridge process: `bridge --dir <instance state directory>`. Started detached by a launch
 * (or by reconcile when it died while its VM runs), it lives until SIGTERM, then removes its
 * sockets and ends. Its log lines go to stdout, which the launch points at the instance's logs.
 */
const { values } = parseArgs({ options: { dir: { type: 'string' } }, strict: true })
const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`)

if (!values.dir) {
  process.stderr.write('bridge: --dir <instance directory> is required\n')
  process.exit(2)
}

try {
  const bridge = await runBridge(values.dir, log)
  let closing = false
  const stop = (signal: string): void => {
    if (closing) return
    closing = true
    log(`${signal}: stopping`)
    void bridge.close().then(() => process.exit(0))
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGHUP', () => undefined)
} catch (error) {
  process.stderr.write(`bridge: ${(error as Error).message}\n`)
  process.exit(1)
}
