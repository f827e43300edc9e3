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

// Quit as the user would; with no VM running the app closes the worker and quits for real.
app.emit('before-quit', { preventDefault: () => (report.quitDeferred = true) })
await until(() => quitCalls.count > 0, 'the app to quit')
await until(() => forked.every((child) => child.exitCode !== undefined), 'the runtime worker to exit', 10_000).catch(() => undefined)
report.workers = forked
report.eventsSent = window.webContents.sent

process.stdout.write(`${JSON.stringify(report)}\n`)
process.exit(0)
