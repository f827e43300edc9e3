import { appendFile } from 'node:fs/promises'
import { followLog } from '../../src/main/runtime/instance/logs/followLog'

// Run by logsFollow.test.ts: follows a log until the first bytes arrive, then aborts. Printing
// "stopped" and then exiting on its own shows that nothing was left holding the event loop open.
const path = process.argv[2] ?? ''
const stop = new AbortController()
const following = followLog(path, {
  signal: stop.signal,
  onData: (data) => {
    process.stdout.write(data)
    stop.abort()
  }
})
setTimeout(() => void appendFile(path, 'hello\n'), 100)
await following
process.stdout.write('stopped\n')
