// Runs a built main bundle (argv[2], e.g. out/main/index.js) under plain Node with the electron
// stub, then acts as the renderer would: invokes channels through the handlers the bundle
// registered, quits, and prints what happened as one line of JSON.
import { pathToFileURL } from 'node:url'
import { BrowserWindow, app, forked, handlers, quitCalls } from 'electron'

const deadline = (ms, what) =>
  new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref())

async function until(condition, what, ms = 20_000) {
  const poll = (async () => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
  })()
  await Promise.race([poll, deadline(ms, what)])
}

await import(pathToFileURL(process.argv[2]).href)
await until(() => handlers.has('settings:get') && BrowserWindow.getAllWindows().length > 0, 'the app to be ready')

const window = BrowserWindow.getAllWindows()[0]
const fromPage = { senderFrame: { url: window.webContents.mainFrame.url }, sender: window.webContents }
const fromElsewhere = { senderFrame: { url: 'https://example.com/' }, sender: window.webContents }
const invoke = (channel, request, event = fromPage) => Promise.race([handlers.get(channel)(event, request), deadline(60_000, channel)])

const report = {
  mainPid: process.pid,
  channels: [...handlers.keys()],
  window: { url: window.webContents.mainFrame.url, options: window.options },
  settings: await invoke('settings:get'),
  doctor: await invoke('host:doctor'),
  shellInfo: await invoke('shell:info'),
  foreign: await invoke('settings:get', undefined, fromElsewhere),
  malformed: await invoke('instances:get', { name: 42 })
}

// The stub makes this answer uncloneable (BPVM_STUB_UNCLONEABLE_ANSWER): the worker must still answer.
report.uncloneable = await invoke('host:interfaces')

// A V8 fatal error in the worker ('error', then 'exit'): the app lives on and starts another.
const ready = () => window.webContents.sent.filter(([, message]) => message.event === 'backend:status' && message.payload.state === 'ready').length
forked[0].fatalError('v8::ToLocalChecked Empty MaybeLocal')
await until(() => forked.length === 2 && ready() === 2, 'a new worker after the fatal error')
report.afterFatalError = await invoke('settings:get')

// Killed from outside: Electron reports the signal's number as the exit code.
process.kill(forked[1].pid, 'SIGKILL')
await until(() => forked.length === 3 && ready() === 3, 'a new worker after the kill')
report.afterKill = await invoke('settings:get')

// Quit as the user would; with no VM running the app closes the worker and quits for real.
app.emit('before-quit', { preventDefault: () => (report.quitDeferred = true) })
await until(() => quitCalls.count > 0, 'the app to quit')
await until(() => forked.every((child) => child.exitCode !== undefined), 'the runtime worker to exit', 10_000).catch(() => undefined)
report.workers = forked
report.eventsSent = window.webContents.sent

process.stdout.write(`${JSON.stringify(report)}\n`)
process.exit(0)
