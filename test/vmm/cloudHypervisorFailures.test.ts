import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { expect, it } from 'vitest'
import { BpvmError } from '../../src/shared/errors'
import { describeWithChSpec, endpointsSeen, fakeDriver, fakePids, filesIn, specIn, useChDirs } from '../support/fakeChHarness'

/** What goes wrong around a VMM, and that a failed launch never leaves one running. */

const listen = (path: string): Promise<Server> =>
  new Promise((resolve) => {
    const server = createServer((c) => c.destroy())
    server.listen(path, () => resolve(server))
  })

const failure = async (launch: Promise<unknown>): Promise<BpvmError> => {
  const error = await launch.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(BpvmError)
  return error as BpvmError
}

describeWithChSpec('cloud-hypervisor driver failures', () => {
  const { dir, track } = useChDirs()

  it('removes the API and vsock sockets a killed VMM left behind, and the next launch works', async () => {
    const d = await dir()
    const files = filesIn(d)
    const spec = await specIn(d)
    const first = await fakeDriver().launch(spec, files)
    await first.kill()
    expect(existsSync(files.socketPath)).toBe(true)
    expect(existsSync(`${d}/v.sock`)).toBe(true)
    // v52 refuses to bind over any existing socket path, and every VMM fails a boot over an existing vsock path.
    const second = track(await fakeDriver(['--fake-version=v52']).launch(spec, files))
    expect(await second.state()).toBe('running')
  })

  it('refuses an API socket a live VMM answers on, and leaves that VMM alone', async () => {
    const d = await dir()
    const other = await dir()
    const first = track(await fakeDriver().launch(await specIn(d), filesIn(d)))
    const files = { ...filesIn(other), socketPath: filesIn(d).socketPath }
    const error = await failure(fakeDriver().launch(await specIn(other), files))
    expect(error.code).toBe('SOCKET_IN_USE')
    expect(await fakePids(files)).toEqual([]) // never started
    expect(await first.state()).toBe('running')
  })

  it('refuses a vsock socket something still listens on, before starting anything', async () => {
    const d = await dir()
    const files = filesIn(d)
    const server = await listen(`${d}/v.sock`)
    try {
      expect((await failure(fakeDriver().launch(await specIn(d), files))).code).toBe('SOCKET_IN_USE')
      expect(await fakePids(files)).toEqual([])
    } finally {
      server.close()
    }
  })

  it('refuses an API socket path longer than sun_path holds, before starting anything', async () => {
    const d = await dir()
    const files = { ...filesIn(d), socketPath: `${d}/${'s'.repeat(100)}.sock` }
    expect((await failure(fakeDriver().launch(await specIn(d), files))).code).toBe('SOCKET_PATH_TOO_LONG')
    expect(await fakePids(files)).toEqual([])
  })

  it('reports a VMM that exits before its socket appears, with its stderr', async () => {
    const d = await dir()
    const files = filesIn(d)
    const error = await failure(fakeDriver(['--fake-exit-early']).launch(await specIn(d), files))
    expect(error.code).toBe('VMM_EXITED')
    expect(error.message).toContain('exited with code 1')
    expect(error.message).toContain('no supported hypervisor')
    expect(await fakePids(files)).toHaveLength(1)
  })

  it('waits for a VMM whose socket appears late', async () => {
    const d = await dir()
    const vm = track(await fakeDriver(['--fake-startup-delay-ms=1500']).launch(await specIn(d), filesIn(d)))
    expect(await vm.state()).toBe('running')
  })

  it('gives up on a boot that does not answer in time and kills the VMM', async () => {
    const d = await dir()
    const files = filesIn(d)
    const started = Date.now()
    const driver = fakeDriver(['--fake-boot-delay-ms=30000'], { timeouts: { slowMs: 1_000 }, killGraceMs: 500 })
    const error = await failure(driver.launch(await specIn(d), files))
    expect(error.code).toBe('CH_API_TIMEOUT')
    expect(error.details).toMatchObject({ endpoint: 'vm.boot' })
    // A timeout is not retried: the VMM is still busy with that boot.
    expect((await endpointsSeen(files)).filter((e) => e === 'PUT vm.boot')).toHaveLength(1)
    expect(Date.now() - started).toBeLessThan(15_000)
    // afterEach checks the process is gone and reaped.
  })

  it('reports stopped after the VMM crashed, without a zombie, and launches again over its leftovers', async () => {
    const d = await dir()
    const files = filesIn(d)
    const spec = await specIn(d)
    const vm = await fakeDriver(['--fake-crash-after-boot-ms=300']).launch(spec, files)
    expect(await vm.process.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await vm.state()).toBe('stopped')
    expect(existsSync(`/proc/${vm.process.identity.pid}`)).toBe(false)
    await vm.shutdown() // quiet: already gone
    const again = track(await fakeDriver().launch(spec, files))
    expect(await again.state()).toBe('running')
  })

  it('recovers from a boot that failed half-way with vm.delete, then boots', async () => {
    const d = await dir()
    const files = filesIn(d)
    const vm = track(await fakeDriver(['--fake-fail-boot-once']).launch(await specIn(d), files))
    expect(await vm.state()).toBe('running')
    expect((await endpointsSeen(files)).filter((e) => e !== 'GET vmm.ping' && e !== 'GET vm.info')).toEqual([
      'PUT vm.create',
      'PUT vm.boot',
      'PUT vm.delete',
      'PUT vm.create',
      'PUT vm.boot'
    ])
  })

  it('stops the VMM when boot keeps failing, with the error chain', async () => {
    const d = await dir()
    const files = filesIn(d)
    const spec = await specIn(d)
    const error = await failure(fakeDriver().launch({ ...spec, kernel: `${d}/missing-kernel` }, files))
    expect(error.code).toBe('CH_API_ERROR')
    expect(error.details).toMatchObject({ endpoint: 'vm.boot', status: 500 })
    expect((error.details?.errorChain as string[]).at(-1)).toContain('missing-kernel')
  })

  it('never retries vm.create, and stops the VMM when it fails', async () => {
    const d = await dir()
    const files = filesIn(d)
    const spec = await specIn(d)
    const error = await failure(fakeDriver().launch({ ...spec, serial: { mode: 'file', path: `${d}/no/such/dir/serial.log` } }, files))
    expect(error.code).toBe('CH_API_ERROR')
    expect(error.details).toMatchObject({ endpoint: 'vm.create' })
    expect((await endpointsSeen(files)).filter((e) => e.startsWith('PUT'))).toEqual(['PUT vm.create'])
  })
})
