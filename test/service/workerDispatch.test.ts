import { describe, expect, it, vi } from 'vitest'
import type { ApiBackend } from '../../src/service/apiBackend'
import { serveCalls } from '../../src/worker/workerDispatch'
import type { WorkerPort } from '../../src/worker/workerPort'
import type { FromWorker, ToWorker } from '../../src/worker/workerProtocol'
import { typedCall } from '../support/looseBackend'

/** A port that behaves as Electron's parentPort: postMessage structured-clones, and throws on what it cannot clone. */
function electronLikePort() {
  const sent: FromWorker[] = []
  let deliver: ((message: ToWorker) => void) | undefined
  const port: WorkerPort = {
    send: (message) => void sent.push(structuredClone(message)),
    onMessage: (listener) => void (deliver = listener),
    onParentGone: () => undefined
  }
  return { port, sent, call: (id: number, channel: string) => deliver?.({ type: 'call', id, channel, request: undefined }) }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10))

describe('serveCalls (the worker answering its parent)', () => {
  it('answers every call, even one whose answer cannot be cloned or whose handler throws instead of answering', async () => {
    const { port, sent, call } = electronLikePort()
    const service: ApiBackend = {
      call: typedCall(async (channel) => {
        if (channel === 'host:interfaces') return { ok: true, value: { list: [], describe: () => 'a function cannot cross' } }
        if (channel === 'host:doctor') throw new Error('broken handler')
        return { ok: true, value: channel }
      }),
      onEvent: () => () => undefined,
      close: async () => undefined
    }
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    serveCalls(port, service)
    call(1, 'host:interfaces')
    call(2, 'host:doctor')
    call(3, 'tasks:list')
    await settle()
    logged.mockRestore()
    const byId = new Map(sent.map((message) => [message.type === 'result' ? message.id : 0, message]))
    expect(byId.get(1)).toMatchObject({ result: { ok: false, error: { code: 'INTERNAL', message: expect.stringMatching(/^host:interfaces: the runtime's answer could not be sent to the app \(DataCloneError/) } } })
    expect(byId.get(2)).toMatchObject({ result: { ok: false, error: { code: 'INTERNAL', message: 'host:doctor failed: Error: broken handler' } } })
    expect(byId.get(3)).toEqual({ type: 'result', id: 3, result: { ok: true, value: 'tasks:list' } })
  })

  it('forwards events, and an event that cannot be sent is logged, not thrown into the runtime', () => {
    const { port, sent } = electronLikePort()
    let emit: ((event: string, payload: unknown) => void) | undefined
    const service = { call: async () => ({ ok: true, value: null }), onEvent: (listener: typeof emit) => ((emit = listener), () => undefined), close: async () => undefined }
    serveCalls(port, service as unknown as ApiBackend)
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    expect(() => emit?.('tasks:progress', { id: 'x', cancel: () => undefined })).not.toThrow()
    emit?.('backend:status', { state: 'ready', restarts: 0 })
    expect(logged).toHaveBeenCalledTimes(1)
    logged.mockRestore()
    expect(sent).toEqual([{ type: 'event', event: 'backend:status', payload: { state: 'ready', restarts: 0 } }])
  })
})
