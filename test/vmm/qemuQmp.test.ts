import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BpvmError } from '../../src/shared/errors'
import { vmStateOf } from '../../src/main/runtime/vmm/qemu/qemuVm'
import { QmpClient, type QmpEvent } from '../../src/main/runtime/vmm/qemu/qmpClient'
import { useTempDirs } from '../support/tempDirs'

const GREETING = { QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: '' }, capabilities: ['oob'] } }

type Command = { execute: string; arguments?: unknown; id?: string }

/** Writes one message as QEMU does: JSON, then CRLF. */
const send = (socket: Socket, message: unknown): void => void socket.write(`${JSON.stringify(message)}\r\n`)

describe('QMP client', () => {
  const tempDir = useTempDirs('bpvm-qmp-')
  const servers: Server[] = []
  const clients: QmpClient[] = []
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close()
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
  })

  /** A stand-in QEMU: sends the greeting (unless told not to), then hands each command to `onCommand`. */
  async function fakeQmp(onCommand: (command: Command, socket: Socket) => void, { greet = true } = {}): Promise<string> {
    const path = join(await tempDir(), 'qmp.sock')
    const server = createServer((socket) => {
      if (greet) send(socket, GREETING)
      let buffered = ''
      socket.on('data', (chunk) => {
        buffered += chunk.toString()
        let end: number
        while ((end = buffered.indexOf('\n')) >= 0) {
          onCommand(JSON.parse(buffered.slice(0, end)) as Command, socket)
          buffered = buffered.slice(end + 1)
        }
      })
      socket.on('error', () => undefined)
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(path, resolve))
    return path
  }

  async function connect(path: string, timeoutMs?: number): Promise<QmpClient> {
    const client = await QmpClient.connect(path, timeoutMs)
    clients.push(client)
    return client
  }

  it('reads the greeting, negotiates capabilities and answers query-status', async () => {
    const seen: string[] = []
    const path = await fakeQmp((command, socket) => {
      seen.push(command.execute)
      if (command.execute === 'qmp_capabilities') send(socket, { return: {}, id: command.id })
      if (command.execute === 'query-status') send(socket, { return: { status: 'running', singlestep: false, running: true }, id: command.id })
    })
    const client = await connect(path)
    expect(client.greeting).toEqual(GREETING)
    await client.capabilities()
    expect(await client.queryStatus()).toMatchObject({ status: 'running', running: true })
    expect(seen).toEqual(['qmp_capabilities', 'query-status'])
  })

  it('keeps an event that arrives before the reply, and still matches the reply', async () => {
    const path = await fakeQmp((command, socket) => {
      if (command.execute !== 'system_powerdown') return
      // What QEMU 7.2 really does: POWERDOWN first, then the command's reply.
      send(socket, { timestamp: { seconds: 1, microseconds: 2 }, event: 'POWERDOWN' })
      send(socket, { return: {}, id: command.id })
      send(socket, { timestamp: { seconds: 1, microseconds: 3 }, event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } })
    })
    const client = await connect(path)
    const heard: QmpEvent[] = []
    client.onEvent((event) => heard.push(event))
    await client.systemPowerdown()
    const shutdown = await client.waitForEvent('SHUTDOWN', 2000)
    expect(shutdown.data).toEqual({ guest: true, reason: 'guest-shutdown' })
    expect(heard.map((e) => e.event)).toEqual(['POWERDOWN', 'SHUTDOWN'])
    // An event already received is found by a later wait, too.
    expect((await client.waitForEvent('POWERDOWN', 10)).timestamp).toEqual({ seconds: 1, microseconds: 2 })
  })

  it('matches replies by id when they come out of order, even split across writes', async () => {
    const held: Command[] = []
    const path = await fakeQmp((command, socket) => {
      held.push(command)
      if (held.length < 2) return
      const [first, second] = held as [Command, Command]
      const text = `${JSON.stringify({ return: { answer: second.execute }, id: second.id })}\r\n${JSON.stringify({ return: { answer: first.execute }, id: first.id })}\r\n`
      socket.write(text.slice(0, 17))
      setTimeout(() => socket.write(text.slice(17)), 20)
    })
    const client = await connect(path)
    const [a, b] = await Promise.all([client.execute('query-name'), client.execute('query-version')])
    expect(a).toEqual({ answer: 'query-name' })
    expect(b).toEqual({ answer: 'query-version' })
  })

  it("turns an error reply into QMP_ERROR carrying QEMU's class and description", async () => {
    const path = await fakeQmp((command, socket) => {
      send(socket, { error: { class: 'CommandNotFound', desc: `The command ${command.execute} has not been found` }, id: command.id })
    })
    const client = await connect(path)
    const error = await client.execute('no-such-command').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BpvmError)
    expect((error as BpvmError).toInfo()).toEqual({
      code: 'QMP_ERROR',
      message: 'QEMU refused no-such-command: The command no-such-command has not been found',
      details: { command: 'no-such-command', class: 'CommandNotFound', desc: 'The command no-such-command has not been found' }
    })
  })

  it('fails waiting commands with QMP_CLOSED when QEMU goes away; quit takes that as done', async () => {
    const path = await fakeQmp((command, socket) => {
      if (command.execute === 'quit') socket.destroy()
      if (command.execute === 'query-status') socket.end()
    })
    const quitting = await connect(path)
    await expect(quitting.quit()).resolves.toBeUndefined()
    expect(quitting.isClosed).toBe(true)
    const asking = await connect(path)
    await expect(asking.queryStatus()).rejects.toMatchObject({ code: 'QMP_CLOSED', details: { command: 'query-status' } })
    await expect(asking.queryStatus()).rejects.toMatchObject({ code: 'QMP_CLOSED' })
  })

  it('gives up on a command without a reply, and on a socket without a greeting', async () => {
    const quiet = await connect(await fakeQmp(() => undefined))
    await expect(quiet.execute('query-status', undefined, 100)).rejects.toMatchObject({ code: 'QMP_TIMEOUT', details: { command: 'query-status' } })
    await expect(quiet.waitForEvent('SHUTDOWN', 50)).rejects.toMatchObject({ code: 'QMP_TIMEOUT' })
    const mute = await fakeQmp(() => undefined, { greet: false })
    await expect(QmpClient.connect(mute, 150)).rejects.toMatchObject({ code: 'QMP_CONNECT_FAILED' })
    await expect(QmpClient.connect(join(await tempDir(), 'absent.sock'), 150)).rejects.toMatchObject({ code: 'QMP_CONNECT_FAILED' })
  })
})

describe('QEMU run states', () => {
  it('maps QEMU RunState names onto the driver states', () => {
    expect(vmStateOf('running')).toBe('running')
    expect(vmStateOf('prelaunch')).toBe('created')
    expect(vmStateOf('paused')).toBe('paused')
    expect(vmStateOf('guest-panicked')).toBe('paused')
    expect(vmStateOf('shutdown')).toBe('stopped')
    expect(vmStateOf('something-new')).toBe('unknown')
  })
})
