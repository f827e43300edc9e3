import { stat } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { viewConsole } from '../../src/main/runtime/console/consoleClient'
import { runConsoleHub, withoutTerminalQueries } from '../../src/main/runtime/console/consoleHub'
import { useTempDirs } from '../support/tempDirs'

/** A VMM's console socket as QEMU serves it: it listens, and talks to whichever client connects. */
async function vmmSide(path: string): Promise<{ server: Server; client: Promise<Socket>; received: () => string }> {
  let received = ''
  let take: (socket: Socket) => void = () => undefined
  const client = new Promise<Socket>((resolve) => (take = resolve))
  const server = createServer((socket) => {
    socket.on('data', (data) => (received += data.toString()))
    take(socket)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return { server, client, received: () => received }
}

describe('the console hub', () => {
  const tempDir = useTempDirs()
  const servers: Server[] = []
  afterEach(() => {
    for (const server of servers.splice(0)) server.close()
  })

  it('shares one console among viewers: the screen so far for each new one, output to all, keys and sizes from any', async () => {
    const dir = await tempDir()
    const vmm = await vmmSide(join(dir, 'con.sock'))
    const size = await vmmSide(join(dir, 'con-size.sock'))
    servers.push(vmm.server, size.server)
    const stop = new AbortController()
    const hub = runConsoleHub({ console: join(dir, 'con.sock'), size: join(dir, 'con-size.sock'), listen: join(dir, 'hub.sock'), screenBytes: 16 }, stop.signal)
    const guest = await vmm.client
    await vi.waitFor(() => stat(join(dir, 'hub.sock')))
    expect((await stat(join(dir, 'hub.sock'))).mode & 0o777).toBe(0o600)
    guest.write('login banner; ~ # ')

    const seen = { first: '', second: '' }
    const ends: string[] = []
    const first = await viewConsole(join(dir, 'hub.sock'), 'svc', { onScreen: (d) => (seen.first += d), onOutput: (d) => (seen.first += d), onEnd: (r) => ends.push(r) })
    // Only the last 16 bytes of the screen are kept.
    await vi.waitFor(() => expect(seen.first).toBe('login banner; ~ # '.slice(-16)))
    first.input(Buffer.from('echo hi\r'))
    await vi.waitFor(() => expect(vmm.received()).toBe('echo hi\r'))
    guest.write('echo hi\r\nhi\r\n~ # ')
    const second = await viewConsole(join(dir, 'hub.sock'), 'svc', { onScreen: (d) => (seen.second += d), onOutput: (d) => (seen.second += d), onEnd: (r) => ends.push(r) })
    await vi.waitFor(() => expect(seen.second).toBe('echo hi\r\nhi\r\n~ # '.slice(-16)))
    guest.write('more')
    await vi.waitFor(() => expect([seen.first.endsWith('more'), seen.second.endsWith('more')]).toEqual([true, true]))
    second.resize(40, 120)
    first.resize(30, 100)
    await vi.waitFor(() => expect(size.received()).toBe('40 120\n30 100\n'))

    // The VM stops: each viewer is told, and the hub is gone with its socket.
    guest.destroy()
    expect(await hub).toBe("the VM's console closed")
    await vi.waitFor(() => expect(ends).toEqual(["the VM's console closed", "the VM's console closed"]))
    await expect(stat(join(dir, 'hub.sock'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('replays the screen without the questions its programs asked the terminal', () => {
    const screen = Buffer.from('/ # \x1b[6n\x1b[J/ # \x1b[c\x1b[>0c\x1b[5necho \x1b[1;32mok\x1b[0m\r\n')
    expect(withoutTerminalQueries(screen).toString('latin1')).toBe('/ # \x1b[J/ # echo \x1b[1;32mok\x1b[0m\r\n')
  })

  it('says so when there is no hub to attach to', async () => {
    const dir = await tempDir()
    await expect(viewConsole(join(dir, 'none.sock'), 'svc', { onScreen: () => undefined, onOutput: () => undefined, onEnd: () => undefined })).rejects.toMatchObject({ code: 'CONSOLE_UNAVAILABLE' })
  })
})
