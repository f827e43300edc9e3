import { execFileSync } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { socketAnswers } from '../../src/main/runtime/vmm/staleSocket'
import { VmmProcess, type VmmLaunch } from '../../src/main/runtime/vmm/vmmProcess'
import { useTempDirs } from '../support/tempDirs'

// Stand-in VMMs are fixed /bin/sh programs; the socket path reaches them as an argument.
const listener = (setup = ''): string => `exec node -e "${setup}require('net').createServer(s=>s.end()).listen(process.argv[1])" "$0"`
const LISTENER = listener()

describe('VMM process supervision', () => {
  const tempDir = useTempDirs('bpvm-v-')

  async function launch(script: string, overrides: Partial<VmmLaunch> = {}): Promise<VmmLaunch> {
    const dir = await tempDir()
    const socketPath = join(dir, 'api.sock')
    return {
      program: 'sh',
      args: ['-c', script, socketPath],
      stdoutPath: join(dir, 'vmm.stdout'),
      stderrPath: join(dir, 'vmm.stderr'),
      socketPath,
      isReady: () => socketAnswers(socketPath),
      readyTimeoutMs: 5000,
      ...overrides
    }
  }

  it('starts in a session of its own, waits for the socket, and stops with SIGTERM', async () => {
    const vmm = await VmmProcess.start(await launch(LISTENER))
    expect(vmm.isRunning()).toBe(true)
    // Its own session: the app's terminal or process group ending does not take the VM with it.
    expect(execFileSync('ps', ['-o', 'sid=', '-p', String(vmm.identity.pid)]).toString().trim()).toBe(String(vmm.identity.pid))
    expect(vmm.identity.startTime).toMatch(/^\d+$/)
    expect(await vmm.stop(2000)).toEqual({ code: null, signal: 'SIGTERM' })
    expect(vmm.isRunning()).toBe(false)
  })

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const vmm = await VmmProcess.start(await launch(listener("process.on('SIGTERM',()=>{});")))
    expect(await vmm.stop(300)).toEqual({ code: null, signal: 'SIGKILL' })
  })

  it('reports a VMM that exits before its socket appears, with its stderr', async () => {
    const failing = await launch('echo "no supported hypervisor" >&2; exit 3')
    await expect(VmmProcess.start(failing)).rejects.toThrow(/^sh exited with code 3 before it was ready: no supported hypervisor$/)
  })

  it('gives up on a VMM that never answers, and leaves no process', async () => {
    // A duration no other process here sleeps for, so pgrep finds only this one (tests run in parallel).
    const sleep = `sleep 30.${process.pid}${Date.now() % 100_000}`
    const silent = await launch(`echo started; exec ${sleep}`, { readyTimeoutMs: 300 })
    await expect(VmmProcess.start(silent)).rejects.toMatchObject({ code: 'VMM_START_TIMEOUT' })
    expect(() => execFileSync('pgrep', ['-f', sleep])).toThrow()
  })

  it('reports a missing program', async () => {
    await expect(VmmProcess.start(await launch('', { program: 'no-such-vmm-program', args: [] }))).rejects.toMatchObject({ code: 'PROGRAM_NOT_FOUND' })
  })

  it('removes a stale socket but refuses one a live process answers on', async () => {
    const stale = await launch(LISTENER)
    // A socket file nobody listens on, as a killed VMM leaves behind.
    const server = createServer().listen(stale.socketPath)
    await new Promise((r) => server.once('listening', r))
    const busy = VmmProcess.start(stale)
    await expect(busy).rejects.toMatchObject({ code: 'SOCKET_IN_USE' })
    await new Promise((r) => server.close(r))
    // Closing a Node server unlinks its socket; recreate a dead one the way a crash leaves it.
    execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', stale.socketPath as string])
    const vmm = await VmmProcess.start(stale)
    expect(vmm.isRunning()).toBe(true)
    await vmm.kill()
  })
})
