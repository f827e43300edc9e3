import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { FromWorker } from '../../src/worker/workerProtocol'

const electron = vi.hoisted(() => ({ utilityProcess: { fork: vi.fn() } }))
vi.mock('electron', () => ({ utilityProcess: electron.utilityProcess }))

import { utilityWorkerSpawner } from '../../src/main/utilityWorker'

/** Stands in for Electron's UtilityProcess: an emitter with postMessage, kill and piped output. */
class FakeUtilityProcess extends EventEmitter {
  posted: unknown[] = []
  killed = 0
  stdout = new PassThrough()
  stderr = new PassThrough()
  postMessage(message: unknown): void {
    this.posted.push(message)
  }
  kill(): boolean {
    this.killed++
    return true
  }
}

let child: FakeUtilityProcess

beforeEach(() => {
  child = new FakeUtilityProcess()
  electron.utilityProcess.fork.mockReset()
  electron.utilityProcess.fork.mockImplementation(() => child)
})

describe('utilityWorkerSpawner', () => {
  it('forks out/main/backend.js beside the main bundle as a named utility process with piped output', () => {
    utilityWorkerSpawner()()
    const [modulePath, args, options] = electron.utilityProcess.fork.mock.calls[0] ?? []
    expect(modulePath).toMatch(/[/\\]backend\.js$/)
    expect(args).toEqual([])
    expect(options).toEqual({ serviceName: 'bpvm runtime', stdio: 'pipe' })
  })

  it('starts a fresh process on every spawn (a restart is a new child)', () => {
    const spawn = utilityWorkerSpawner('/app/out/main/backend.js')
    spawn()
    spawn()
    expect(electron.utilityProcess.fork.mock.calls.map(([path]) => path)).toEqual(['/app/out/main/backend.js', '/app/out/main/backend.js'])
  })

  it('maps send, messages, exit and kill onto the utility process', () => {
    const worker = utilityWorkerSpawner('/app/out/main/backend.js')()
    const messages: FromWorker[] = []
    const exits: unknown[] = []
    worker.onMessage((message) => messages.push(message))
    worker.onExit((code) => exits.push(code))

    worker.send({ type: 'call', id: 1, channel: 'settings:get', request: undefined })
    expect(child.posted).toEqual([{ type: 'call', id: 1, channel: 'settings:get', request: undefined }])

    child.emit('message', { type: 'ready' })
    child.emit('message', { type: 'result', id: 1, result: { ok: true, value: 42 } })
    expect(messages).toEqual([{ type: 'ready' }, { type: 'result', id: 1, result: { ok: true, value: 42 } }])

    worker.kill()
    expect(child.killed).toBe(1)
    child.emit('exit', 15)
    expect(exits).toEqual([{ code: 15, fatalError: undefined }])
  })

  it("listens for the V8 fatal error Electron reports as 'error' (unheard, it would throw in main) and reports it with the exit", () => {
    const worker = utilityWorkerSpawner('/app/out/main/backend.js')()
    const exits: unknown[] = []
    worker.onExit((exit) => exits.push(exit))
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    expect(() => child.emit('error', 'FatalError', 'v8::ToLocalChecked Empty MaybeLocal', '{"report":1}')).not.toThrow()
    logged.mockRestore()
    child.emit('exit', 6)
    expect(exits).toEqual([{ code: 6, fatalError: 'FatalError at v8::ToLocalChecked Empty MaybeLocal' }])
  })

  it("drains the child's output into the main process's own streams", async () => {
    const written: string[] = []
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0)
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0)
    utilityWorkerSpawner('/app/out/main/backend.js')()
    child.stdout.write('runtime ready\n')
    child.stderr.write('runtime warning\n')
    await new Promise((resolve) => setImmediate(resolve))
    stdout.mockRestore()
    stderr.mockRestore()
    expect(written).toEqual(['runtime ready\n', 'runtime warning\n'])
  })
})
