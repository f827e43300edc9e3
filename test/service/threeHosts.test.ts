import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterEach, expect, it, vi } from 'vitest'
import type { Result } from '../../src/shared/result'

vi.mock('electron', () => ({ app: { isPackaged: true } }))

import { registerApiHandlers } from '../../src/main/ipc/apiHandlers'
import { createBackendProcess } from '../../src/main/worker/backendProcess'
import { nodeWorkerSpawner } from '../../src/main/worker/nodeWorkerSpawner'
import type { ApiBackend } from '../../src/service/apiBackend'
import { startServe, type ServeProcess } from '../e2e/serveProcess'
import { useNetns } from '../support/netns'
import { describeAsRoot } from '../support/prerequisites'
import { DEAD_PROCESS, recordFixture } from '../support/recordFixture'
import { envelope, repoRoot, runCli } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

/**
 * A WebSocket client run inside the namespace (where `bpvm serve` listens on its own loopback):
 * offers the token as the page does, makes each call in turn, prints the results as one JSON line.
 */
const SOCKET_CLIENT = `
const { WebSocket } = require('ws')
const [url, token, calls] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3])]
const origin = new URL(url).origin
const socket = new WebSocket(origin.replace('http', 'ws') + '/api', ['bpvm', 'bpvm-token.' + token], { origin })
const results = []
socket.on('message', (data) => {
  const frame = JSON.parse(String(data))
  if (frame.id === undefined) return
  results.push(frame.result)
  if (results.length === calls.length) { process.stdout.write(JSON.stringify(results)); socket.close() }
  else send(results.length)
})
const send = (i) => socket.send(JSON.stringify({ id: i, channel: calls[i][0], request: calls[i][1] }))
socket.on('open', () => send(0))
socket.on('error', (error) => { console.error(error.message); process.exit(1) })
`

/**
 * The same call answered by each host over the one service: the CLI (in process), the app's IPC
 * (a runtime worker behind the IPC handlers) and `bpvm serve` (over its WebSocket) give the same
 * JSON. The home holds an instance that ended, one whose VMM died unseen, and a broken record.
 */
describeAsRoot('one service behind three hosts (in a network namespace)', () => {
  const netns = useNetns()
  const tempDir = useTempDirs()
  const stops: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
  })

  async function homeWithInstances(): Promise<string> {
    const home = await tempDir()
    const instances = join(home, 'state', 'instances')
    const records = {
      ended: recordFixture('ended', 1, { phase: 'stopped', outcome: { status: 'Finished', reason: 'stopped by the power button', at: '2026-01-01T00:00:00.000Z' } }),
      died: recordFixture('died', 2, { process: DEAD_PROCESS })
    }
    for (const [name, record] of Object.entries(records)) {
      await mkdir(join(instances, name, 'logs'), { recursive: true })
      await writeFile(join(instances, name, 'instance.json'), JSON.stringify(record))
    }
    await mkdir(join(instances, 'garbage'), { recursive: true })
    await writeFile(join(instances, 'garbage', 'instance.json'), '{ not a record')
    return home
  }

  const CALLS: Array<[string, unknown]> = [
    ['instances:list', undefined],
    ['instances:get', { name: 'ended' }],
    ['instances:get', { name: 'died' }],
    ['instances:get', { name: 'nobody' }]
  ]

  /** The app's path: a call through the IPC handlers (as from our own page) to a worker in `ns`. */
  async function throughIpc(ns: string, home: string): Promise<Array<Result<unknown>>> {
    const backend: ApiBackend = createBackendProcess(nodeWorkerSpawner({ wrapper: ['ip', 'netns', 'exec', ns], env: { BPVM_HOME: home } }))
    stops.push(() => backend.close())
    const handlers = new Map<string, (event: unknown, request: unknown) => Promise<Result<unknown>>>()
    registerApiHandlers({ handle: (channel, fn) => void handlers.set(channel, fn as never) }, backend, {
      shell: { choosePath: async () => null, openPath: async () => '', version: '0', logFolderOf: async () => ({ folder: '', stateDir: '' }) },
      windows: () => []
    })
    const event = { senderFrame: { url: 'app://bpvm/index.html' }, sender: { id: 1 } }
    const results: Array<Result<unknown>> = []
    for (const [channel, request] of CALLS) results.push(await handlers.get(channel)!(event, request))
    return results
  }

  async function throughServe(ns: string, home: string): Promise<Array<Result<unknown>>> {
    const serve: ServeProcess = await startServe({ home, within: ['ip', 'netns', 'exec', ns] })
    stops.push(() => serve.stop())
    const token = new URL(serve.url).searchParams.get('token') ?? ''
    const client = await execa('ip', ['netns', 'exec', ns, process.execPath, '-e', SOCKET_CLIENT, serve.url, token, JSON.stringify(CALLS)], { cwd: repoRoot, timeout: 30_000 })
    return JSON.parse(String(client.stdout)) as Array<Result<unknown>>
  }

  async function throughCli(ns: string, home: string): Promise<Array<Result<unknown>>> {
    const cli = (args: string[]) => runCli([...args, '--json'], { prefix: ['ip', 'netns', 'exec', ns], env: { BPVM_HOME: home, PATH: process.env.PATH ?? '' } })
    return [envelope(await cli(['ls'])), envelope(await cli(['ls', 'ended'])), envelope(await cli(['ls', 'died'])), envelope(await cli(['ls', 'nobody']))] as Array<Result<unknown>>
  }

  it('instances:list and instances:get, found or not, give the same JSON from the CLI, the IPC handlers and bpvm serve', async () => {
    const ns = await netns.create()
    const home = await homeWithInstances()
    // The worker reconciles as it starts, and ends the instance whose VMM died unseen: asked
    // after it, the CLI (which changes nothing when listing) and the server find the same state.
    const ipc = await throughIpc(ns, home)
    const cli = await throughCli(ns, home)
    const serve = await throughServe(ns, home)
    expect(ipc[0]).toMatchObject({
      ok: true,
      value: [
        { name: 'died', status: 'Error', phase: 'stopped' },
        { name: 'ended', status: 'Finished', reason: 'stopped by the power button' },
        { name: 'garbage', status: 'Unknown', broken: { file: join(home, 'state', 'instances', 'garbage', 'instance.json') } }
      ]
    })
    expect(ipc[3]).toMatchObject({ ok: false, error: { code: 'INSTANCE_NOT_FOUND' } })
    expect(cli).toEqual(ipc)
    expect(serve).toEqual(ipc)
  }, 120_000)
})
