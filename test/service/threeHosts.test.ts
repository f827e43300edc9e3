import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { afterEach, expect, it, vi } from 'vitest'
import type { ErrorInfo, Result } from '../../src/shared/result'
import type { TaskInfo } from '../../src/shared/api/tasks'
import type { BackendStatus } from '../../src/shared/api/events'
import { BpvmError, toErrorInfo } from '../../src/shared/errors'
import { LAUNCH_OPTION_OF, namingTheOption } from '../../src/main/cli/optionNames'

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
 * offers the token as the page does, sends each line of its stdin as a frame and prints each
 * reply as a line; "ready" once the socket is open and the server's runtime worker is ready (as
 * the page learns it: the status a new socket hears first, or its next change). A loaded host
 * may take longer than a call's wait to load a worker from source.
 */
const SOCKET_CLIENT = `
const { WebSocket } = require('ws')
const readline = require('node:readline')
const [url, token] = [process.argv[1], process.argv[2]]
const origin = new URL(url).origin
const socket = new WebSocket(origin.replace('http', 'ws') + '/api', ['bpvm', 'bpvm-token.' + token], { origin })
let started = false
socket.on('message', (data) => {
  const frame = JSON.parse(String(data))
  if (frame.id !== undefined) process.stdout.write(JSON.stringify(frame) + '\\n')
  if (frame.event !== 'backend:status' || started) return
  if (frame.payload.state === 'failed') { console.error(frame.payload.message); process.exit(1) }
  if (frame.payload.state !== 'ready') return
  started = true
  readline.createInterface({ input: process.stdin }).on('line', (line) => socket.send(line)).on('close', () => socket.close())
  process.stdout.write('ready\\n')
})
socket.on('error', (error) => { console.error(error.message); process.exit(1) })
`

type Call = (channel: string, request: unknown) => Promise<Result<unknown>>

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

  /** A service's files for a launch, and the launch as the API takes it (and the CLI's options that say the same). */
  async function launchInputs(): Promise<{ request: (binary: string) => Record<string, unknown>; cliArgs: (binary: string) => string[]; binary: string }> {
    const work = await tempDir()
    const binary = join(work, 'svc')
    await writeFile(binary, '#!/bin/sh\n', { mode: 0o755 })
    await mkdir(join(work, 'keystore'))
    // Port 9 on a loopback that is down in a fresh namespace: the RPC check finds nothing there.
    const env = { httpRpcUrl: 'http://127.0.0.1:9', wsRpcUrl: 'ws://127.0.0.1:9', blueprintId: '1', serviceId: '2', protocol: 'tangle' }
    return {
      binary,
      request: (path) => ({ name: 'late', binary: path, keystore: join(work, 'keystore'), env, args: {} }),
      cliArgs: (path) => ['launch', '--name', 'late', '--binary', path, '--keystore', join(work, 'keystore'), '--http-rpc-url', env.httpRpcUrl, '--ws-rpc-url', env.wsRpcUrl, '--blueprint-id', '1', '--service-id', '2', '--detach']
    }
  }

  interface Answers {
    calls: Array<Result<unknown>>
    /** `instances:launch` of a binary that does not exist: refused at the call. */
    refused: Result<unknown>
    /** `instances:launch` with nothing at the RPC URLs: the task's end, as `tasks:list` shows it (no id, no times). */
    failed: Record<string, unknown>
  }

  /** The same questions, asked through one host's `call`. */
  async function ask(call: Call, inputs: Awaited<ReturnType<typeof launchInputs>>): Promise<Answers> {
    const calls: Array<Result<unknown>> = []
    for (const [channel, request] of CALLS) calls.push(await call(channel, request))
    const refused = await call('instances:launch', inputs.request(`${inputs.binary}-missing`))
    const started = await call('instances:launch', inputs.request(inputs.binary))
    if (!started.ok) throw new Error(`the launch was refused at the call: ${started.error.message}`)
    const id = (started.value as TaskInfo).id
    for (let tries = 0; tries < 300; tries += 1) {
      const tasks = await call('tasks:list', undefined)
      const task = tasks.ok ? (tasks.value as TaskInfo[]).find((t) => t.id === id) : undefined
      if (task && task.state !== 'running') {
        const { kind, title, target, state, step, message, error } = task
        return { calls, refused, failed: { kind, title, target, state, step, message, error } }
      }
      await sleep(100)
    }
    throw new Error('the launch task did not end within 30 s')
  }

  /** The app's path: calls through the IPC handlers (as from our own page) to a worker in `ns`. */
  async function throughIpc(ns: string, home: string, inputs: Awaited<ReturnType<typeof launchInputs>>): Promise<Answers> {
    const backend: ApiBackend = createBackendProcess(nodeWorkerSpawner({ wrapper: ['ip', 'netns', 'exec', ns], env: { BPVM_HOME: home } }))
    stops.push(() => backend.close())
    // As the app's window does, it waits for the worker's status (a new listener hears it at once):
    // a loaded host may take longer than a call's wait to load a worker from source.
    await new Promise<void>((resolve, reject) => {
      const stop = backend.onEvent((event, payload) => {
        const status = payload as BackendStatus
        if (event !== 'backend:status' || (status.state !== 'ready' && status.state !== 'failed')) return
        queueMicrotask(() => stop())
        if (status.state === 'ready') resolve()
        else reject(new Error(`the runtime worker failed: ${status.message}`))
      })
    })
    const handlers = new Map<string, (event: unknown, request: unknown) => Promise<Result<unknown>>>()
    registerApiHandlers({ handle: (channel, fn) => void handlers.set(channel, fn as never) }, backend, {
      shell: { choosePath: async () => null, openPath: async () => '', version: '0', logFolderOf: async () => ({ folder: '', stateDir: '' }) },
      windows: () => []
    })
    const event = { senderFrame: { url: 'app://bpvm/index.html' }, sender: { id: 1 } }
    return ask((channel, request) => handlers.get(channel)!(event, request), inputs)
  }

  /** `bpvm serve`'s path: calls over its WebSocket, from a client inside the namespace. */
  async function throughServe(ns: string, home: string, inputs: Awaited<ReturnType<typeof launchInputs>>): Promise<Answers> {
    const serve: ServeProcess = await startServe({ home, within: ['ip', 'netns', 'exec', ns] })
    stops.push(() => serve.stop())
    const token = new URL(serve.url).searchParams.get('token') ?? ''
    const client = execa('ip', ['netns', 'exec', ns, process.execPath, '-e', SOCKET_CLIENT, serve.url, token], { cwd: repoRoot, stdin: 'pipe', buffer: false })
    stops.push(async () => {
      client.stdin?.end()
      await client.catch(() => undefined)
    })
    const waiting = new Map<number, (result: Result<unknown>) => void>()
    const lines = createInterface({ input: client.stdout! })
    const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()))
    await ready
    lines.on('line', (line) => {
      const frame = JSON.parse(line) as { id: number; result: Result<unknown> }
      waiting.get(frame.id)?.(frame.result)
    })
    let next = 0
    const call: Call = (channel, request) =>
      new Promise((resolve) => {
        const id = next++
        waiting.set(id, resolve)
        client.stdin!.write(`${JSON.stringify({ id, channel, request })}\n`)
      })
    return ask(call, inputs)
  }

  async function throughCli(ns: string, home: string, inputs: Awaited<ReturnType<typeof launchInputs>>): Promise<Omit<Answers, 'failed'> & { failed: Result<unknown> }> {
    const cli = (args: string[]) => runCli([...args, '--json'], { prefix: ['ip', 'netns', 'exec', ns], env: { BPVM_HOME: home, PATH: process.env.PATH ?? '' } })
    const calls = [envelope(await cli(['ls'])), envelope(await cli(['ls', 'ended'])), envelope(await cli(['ls', 'died'])), envelope(await cli(['ls', 'nobody']))] as Array<Result<unknown>>
    const refused = envelope(await cli(inputs.cliArgs(`${inputs.binary}-missing`))) as Result<unknown>
    const failed = envelope(await cli(inputs.cliArgs(inputs.binary))) as Result<unknown>
    return { calls, refused, failed }
  }

  /** What the CLI shows for an API error: the same error, its fields named by the options typed (its edge's one mapping). */
  const inCliWords = (error: unknown): unknown => toErrorInfo(namingTheOption(new BpvmError((error as ErrorInfo).code, (error as ErrorInfo).message, (error as ErrorInfo).details), LAUNCH_OPTION_OF))

  it('instances:list, instances:get (found or not) and a failed launch give the same JSON from the CLI, the IPC handlers and bpvm serve', async () => {
    const ns = await netns.create()
    const home = await homeWithInstances()
    const inputs = await launchInputs()
    // The worker reconciles as it starts, and ends the instance whose VMM died unseen: asked
    // after it, the CLI (which changes nothing when listing) and the server find the same state.
    const ipc = await throughIpc(ns, home, inputs)
    const cli = await throughCli(ns, home, inputs)
    const serve = await throughServe(ns, home, inputs)
    expect(ipc.calls[0]).toMatchObject({
      ok: true,
      value: [
        { name: 'died', status: 'Error', phase: 'stopped' },
        { name: 'ended', status: 'Finished', reason: 'stopped by the power button' },
        { name: 'garbage', status: 'Unknown', broken: { file: join(home, 'state', 'instances', 'garbage', 'instance.json') } }
      ]
    })
    expect(ipc.calls[3]).toMatchObject({ ok: false, error: { code: 'INSTANCE_NOT_FOUND' } })
    expect(cli.calls).toEqual(ipc.calls)
    expect(serve.calls).toEqual(ipc.calls)

    // A launch refused at the call, naming its field; the CLI names it by its option.
    expect(ipc.refused).toMatchObject({ ok: false, error: { code: 'SOURCE_NOT_FOUND', details: { field: 'binary' } } })
    expect(serve.refused).toEqual(ipc.refused)
    expect(cli.refused).toEqual({ ok: false, error: inCliWords(!ipc.refused.ok && ipc.refused.error) })
    expect((cli.refused as { error: ErrorInfo }).error.details?.field).toBe('--binary')

    // A launch whose task fails: the API's ended task carries the error the CLI reports.
    expect(ipc.failed).toMatchObject({ kind: 'launch', target: 'late', state: 'failed', error: { code: 'RPC_UNREACHABLE', details: { field: 'env.httpRpcUrl' } } })
    expect(serve.failed).toEqual(ipc.failed)
    expect(cli.failed).toEqual({ ok: false, error: inCliWords(ipc.failed.error) })
    // Each failure undid what it made: no instance directory is left for "late".
    expect(await readdir(join(home, 'state', 'instances'))).toEqual(['died', 'ended', 'garbage'])
  }, 180_000)
})
