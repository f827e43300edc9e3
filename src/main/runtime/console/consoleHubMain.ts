// The console hub's process: `consoleHub.js --dir <instance state dir>`. Started at launch,
// detached like the VMM, so a console outlives the app that launched the VM; it exits when the
// VM's console closes, or on SIGTERM.
import { join } from 'node:path'
import { runConsoleHub } from './consoleHub'

const at = process.argv.indexOf('--dir')
const dir = at > 0 ? process.argv[at + 1] : undefined
if (!dir) {
  console.error('usage: consoleHub --dir <instance state dir>')
  process.exit(2)
}
const stop = new AbortController()
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop.abort())
try {
  const reason = await runConsoleHub({ console: join(dir, 'con.sock'), size: join(dir, 'con-size.sock'), listen: join(dir, 'con-hub.sock') }, stop.signal)
  console.log(`console hub: ${reason}`)
} catch (error) {
  console.error(`console hub: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
