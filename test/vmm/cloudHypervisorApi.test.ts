import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, it } from 'vitest'
import { CloudHypervisorApi } from '../../src/main/runtime/vmm/cloudHypervisor/apiClient'
import { parseErrorChain } from '../../src/main/runtime/vmm/cloudHypervisor/apiErrors'
import { vmConfigFor } from '../../src/main/runtime/vmm/cloudHypervisor/vmConfig'
import { VmmProcess } from '../../src/main/runtime/vmm/vmmProcess'
import type { VmmFiles } from '../../src/main/runtime/vmm/vmmDriver'
import { describeWithChSpec, fakeArgs, filesIn, rawRequest, requestsSeen, specIn, useChDirs, violations } from '../support/fakeChHarness'

/** The API client's transport, and the fake VMM's own fidelity: a fake that let bad requests pass would prove nothing. */

describeWithChSpec('cloud-hypervisor API client and fake VMM', () => {
  const { dir, track, expectViolations } = useChDirs()

  async function startFake(files: VmmFiles, flags: string[] = []): Promise<CloudHypervisorApi> {
    const api = new CloudHypervisorApi(files.socketPath)
    const args = [...fakeArgs(flags), '--api-socket', `path=${files.socketPath}`]
    track(await VmmProcess.start({ ...files, program: process.execPath, args, isReady: async () => (await api.ping(), true), readyTimeoutMs: 20_000 }))
    return api
  }

  /** Runs the fake outside the driver (no stale-socket cleanup first); if it comes up, shuts it down again. */
  async function runFake(files: VmmFiles, flags: string[]): Promise<{ code: number | null; stderr: string; served: boolean }> {
    const child = spawn(process.execPath, [...fakeArgs(flags), '--api-socket', `path=${files.socketPath}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exited = once(child, 'exit') as Promise<[number | null]>
    const api = new CloudHypervisorApi(files.socketPath)
    let served = false
    while (child.exitCode === null && !served) {
      served = await api.ping().then(
        (ping) => ping.pid === child.pid,
        () => false
      )
      if (!served) await sleep(50)
    }
    if (served) await api.shutdownVmm()
    await api.close()
    const [code] = await exited
    return { code, stderr, served }
  }

  it('answers what the contract forbids with 400 and logs it, as the server would', async () => {
    const d = await dir()
    const files = filesIn(d)
    expectViolations(d)
    await startFake(files)
    const bodyOnAction = await rawRequest(files.socketPath, 'PUT', 'vm.boot', '{}', { 'content-type': 'application/json' })
    expect([bodyOnAction.status, bodyOnAction.body]).toEqual([400, ''])
    const chunked = await rawRequest(files.socketPath, 'PUT', 'vm.create', '{"payload":{}}', { 'transfer-encoding': 'chunked' })
    expect(chunked.status).toBe(400)
    expect(parseErrorChain(chunked.body)[0]).toContain('chunked')
    const misspelt = await rawRequest(files.socketPath, 'PUT', 'vm.create', JSON.stringify({ payload: { kernel: '/k' }, cpus: { boot_vcpu: 1 } }))
    expect(misspelt.status).toBe(400)
    expect(await rawRequest(files.socketPath, 'GET', 'vm.nothing')).toMatchObject({ status: 404, body: '["Not Found"]' })
    expect(await rawRequest(files.socketPath, 'GET', 'vm.boot')).toMatchObject({ status: 400, body: '' })
    expect(await rawRequest(files.socketPath, 'PUT', 'vm.info')).toMatchObject({ status: 400, body: '["Bad Request"]' })
    const logged = await violations(files)
    expect(logged.join('\n')).toMatch(/vm\.boot takes no body/)
    expect(logged.join('\n')).toMatch(/Transfer-Encoding: chunked/)
    expect(logged.join('\n')).toMatch(/additionalProperty.*boot_vcpu/)
    expect(logged.join('\n')).toMatch(/vm\.nothing is not in the contract/)
    // Answers carry the server's headers, and vmm.shutdown answers 200 with no body (not the yaml's 204).
    const shutdown = await rawRequest(files.socketPath, 'PUT', 'vmm.shutdown')
    expect([shutdown.status, shutdown.body, shutdown.headers.server]).toEqual([200, '', 'Cloud Hypervisor API'])
  })

  it('closes the 11th connection with 503, as micro_http does', async () => {
    const d = await dir()
    const files = filesIn(d)
    await startFake(files)
    const open: Socket[] = []
    try {
      for (let i = 0; i < 10; i++) {
        const socket = connect(files.socketPath)
        await once(socket, 'connect')
        open.push(socket)
      }
      await sleep(100)
      const eleventh = connect(files.socketPath)
      open.push(eleventh)
      const chunks: Buffer[] = []
      eleventh.on('data', (c: Buffer) => chunks.push(c))
      await once(eleventh, 'close')
      const text = Buffer.concat(chunks).toString('utf8')
      expect(text).toMatch(/^HTTP\/1\.1 503/)
      expect(parseErrorChain(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual(['Too many open connections'])
    } finally {
      open.forEach((s) => s.destroy())
    }
  })

  it('sends one request at a time over one connection; a slow boot stalls the server, and a quick call times out', async () => {
    const d = await dir()
    const files = filesIn(d)
    const api = await startFake(files, ['--fake-boot-delay-ms=2000'])
    // Asked at once, sent one after another, each on its own connection closed after the answer.
    await Promise.all([api.ping(), api.info().catch(() => undefined), api.counters().catch(() => undefined)])
    const sent = (await requestsSeen(files)).slice(-3)
    expect(sent.map((r) => [r.url, r.openConnections])).toEqual([
      ['/api/v1/vmm.ping', 1],
      ['/api/v1/vm.info', 1],
      ['/api/v1/vm.counters', 1]
    ])
    await api.createVm(vmConfigFor(await specIn(d)))
    const booting = api.bootVm()
    await sleep(200)
    // Another client (the server is serialised, not only this one) gets no answer while the VMM boots.
    const other = new CloudHypervisorApi(files.socketPath, { quickMs: 300, slowMs: 300 })
    await expect(other.ping()).rejects.toMatchObject({ code: 'CH_API_TIMEOUT', details: { endpoint: 'vmm.ping', timeoutMs: 300 } })
    await booting
    expect((await api.info()).state).toBe('Running')
    await other.close()
  })

  it('reports an API socket nobody serves as unreachable', async () => {
    const d = await dir()
    const api = new CloudHypervisorApi(`${d}/none.sock`)
    await expect(api.ping()).rejects.toMatchObject({ code: 'CH_API_UNREACHABLE', details: { endpoint: 'vmm.ping', cause: 'ENOENT' } })
    await api.close()
  })

  it('refuses to bind over a live socket; over a stale one v52 fails and v53 re-binds, as cloud-hypervisor does', async () => {
    const d = await dir()
    const files = filesIn(d)
    const api = await startFake(files)
    expect(await runFake(files, [])).toMatchObject({ code: 1, served: false, stderr: expect.stringContaining('already in use by another running instance') })
    // SIGKILL leaves the socket behind.
    process.kill((await api.ping()).pid as number, 'SIGKILL')
    await api.close()
    await sleep(200)
    expect(existsSync(files.socketPath)).toBe(true)
    expect(await runFake(files, ['--fake-version=v52'])).toMatchObject({ code: 1, served: false, stderr: expect.stringContaining('AddrInUse') })
    expect(await runFake(files, ['--fake-version=v53'])).toMatchObject({ code: 0, served: true })
  })
})
