import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { BpvmError } from '../../src/shared/errors'
import type { CloudHypervisorVm } from '../../src/main/runtime/vmm/cloudHypervisor/runningVm'
import { describeWithChSpec, endpointsSeen, fakeDriver, filesIn, rawRequest, requestsSeen, specIn, useChDirs } from '../support/fakeChHarness'

/** Lifecycle of one VM through the driver, against a fake VMM that checks every request against the contract. */

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((r) => setTimeout(r, 50))
  }
}

for (const version of ['v53', 'v52'] as const) {
  describeWithChSpec(`cloud-hypervisor driver lifecycle (${version} status codes)`, () => {
    const { dir, track } = useChDirs()
    const flags = [`--fake-version=${version}`]

    it('boots, takes the power button, and reports stopped once the guest powered off and the VMM exited', async () => {
      const d = await dir()
      const files = filesIn(d)
      const vm = track(await fakeDriver(flags).launch(await specIn(d), files))
      expect(await vm.state()).toBe('running')
      expect(await readFile(`${d}/serial.log`, 'utf8')).toContain('booted')

      await vm.powerButton()
      expect(await vm.process.exited).toEqual({ code: 0, signal: null })
      expect(await vm.state()).toBe('stopped')
      // The VMM removes its own sockets on a clean exit.
      expect(existsSync(files.socketPath)).toBe(false)
      expect(existsSync(`${d}/v.sock`)).toBe(false)

      const seen = await endpointsSeen(files)
      expect(seen.filter((e) => e !== 'GET vmm.ping')).toEqual(['PUT vm.create', 'PUT vm.boot', 'GET vm.info', 'PUT vm.power-button'])
      await vm.powerButton() // the guest is off already: nothing to do
    })

    it('is found again by another process (attach): state and power button over the API, stop by its pid and start time', async () => {
      const d = await dir()
      const files = filesIn(d)
      const driver = fakeDriver(flags)
      const vm = track(await driver.launch(await specIn(d), files))
      const identity = vm.process.identity
      const attached = driver.attach({ socketPath: files.socketPath, process: identity })
      expect(attached.kind).toBe('cloud-hypervisor')
      expect(await attached.state()).toBe('running')
      expect(await attached.powerButton()).toBe(true)
      expect(await vm.process.exited).toEqual({ code: 0, signal: null })
      // Nothing answers any more: the attached view says so without throwing.
      expect(await attached.state()).toBe('unknown')
      expect(await attached.powerButton()).toBe(false)
      await attached.stop(1_000)
    })

    it('stops a VM found again whose guest ignores everything, by its pid and start time', async () => {
      const d = await dir()
      const files = filesIn(d)
      const driver = fakeDriver(flags)
      const vm = track(await driver.launch(await specIn(d), files))
      await driver.attach({ socketPath: files.socketPath, process: vm.process.identity }).stop(1_000)
      expect((await vm.process.exited).signal ?? (await vm.process.exited).code).not.toBeNull()
      expect(vm.process.isRunning()).toBe(false)
    })

    it('shuts the VMM down through vmm.shutdown and waits for its exit', async () => {
      const d = await dir()
      const files = filesIn(d)
      const vm = track(await fakeDriver(flags).launch(await specIn(d), files))
      await vm.shutdown()
      expect(await vm.process.exited).toEqual({ code: 0, signal: null })
      expect(await vm.state()).toBe('stopped')
      expect((await endpointsSeen(files)).at(-1)).toBe('PUT vmm.shutdown')
      await vm.shutdown() // quiet when already gone
    })

    it('sends the exact vm.create body, with Content-Length, and no body on action calls', async () => {
      const d = await dir()
      const files = filesIn(d)
      track(await fakeDriver(flags).launch(await specIn(d, 5), files))
      const requests = await requestsSeen(files)
      const create = requests.find((r) => r.url === '/api/v1/vm.create')
      expect(JSON.parse(create?.body ?? 'null')).toStrictEqual({
        cpus: { boot_vcpus: 2, max_vcpus: 2 },
        memory: { size: 1073741824, shared: true },
        payload: { kernel: `${d}/vmlinuz`, initramfs: `${d}/initrd`, cmdline: 'root=/dev/vda1 rw console=ttyS0' },
        disks: [
          { path: `${d}/root.qcow2`, readonly: false, direct: true, image_type: 'Qcow2', backing_files: true },
          { path: `${d}/cidata.img`, readonly: true, direct: true, image_type: 'Raw' },
          { path: `${d}/data.qcow2`, readonly: false, direct: true, image_type: 'Qcow2' },
          { path: `${d}/service.img`, readonly: true, direct: true, image_type: 'Raw' }
        ],
        serial: { mode: 'File', file: `${d}/serial.log` },
        console: { mode: 'Off' },
        vsock: { cid: 8, socket: `${d}/v.sock` },
        net: [{ tap: 'tap-tngl-5', ip: '172.30.0.1', mask: '255.255.255.252', mac: '52:54:00:00:00:01' }]
      })
      expect(create?.contentLength).toBe(String(Buffer.byteLength(create?.body ?? '')))
      for (const r of requests) {
        expect(r.transferEncoding, r.url).toBeUndefined()
        if (r.url !== '/api/v1/vm.create') expect(r.body, r.url).toBeUndefined()
        // One connection at a time, closed after each answer.
        expect(r.openConnections, r.url).toBe(1)
      }
    })

    it('follows the VM through the state machine and carries the error chain', async () => {
      const d = await dir()
      const files = filesIn(d)
      const vm = track(await fakeDriver(flags).launch(await specIn(d), files)) as CloudHypervisorVm
      expect(await vm.api.counters()).toHaveProperty('_disk0')

      await rawRequest(files.socketPath, 'PUT', 'vm.pause')
      expect(await vm.state()).toBe('paused')
      await rawRequest(files.socketPath, 'PUT', 'vm.resume')
      expect(await vm.state()).toBe('running')

      // vm.shutdown drops the VM object and keeps its config: Created, and it boots again.
      await vm.api.shutdownVm()
      expect(await vm.state()).toBe('created')
      await vm.api.bootVm()
      expect(await vm.state()).toBe('running')

      // vm.delete clears the config; the VMM lives on without a VM: not stopped.
      await vm.api.deleteVm()
      expect(await vm.state()).toBe('unknown')
      const error = await vm.api.info().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BpvmError)
      expect((error as BpvmError).code).toBe('CH_API_ERROR')
      expect((error as BpvmError).details).toEqual({
        endpoint: 'vm.info',
        status: version === 'v53' ? 404 : 500,
        errorChain: ['Error from API', 'The VM info is not available', 'VM is not created']
      })
      expect((error as BpvmError).message).toContain('VM is not created')
      await expect(vm.api.shutdownVm()).rejects.toMatchObject({ code: 'CH_API_ERROR', details: { status: 500, errorChain: expect.arrayContaining(['VM is not running']) } })
    })

    it('keeps running when the guest ignores the power button, until shut down', async () => {
      const d = await dir()
      const vm = track(await fakeDriver([...flags, '--fake-guest-ignores-power-button']).launch(await specIn(d), filesIn(d)))
      await vm.powerButton()
      expect(await until(() => vm.state(), (s) => s !== 'running', 500)).toBe('running')
      await vm.shutdown()
      expect(await vm.process.exited).toEqual({ code: 0, signal: null })
    })

    it('takes a vmm.shutdown whose answer is lost to the exit (EOF) as success', async () => {
      const d = await dir()
      const files = filesIn(d)
      const vm = track(await fakeDriver([...flags, '--fake-shutdown-drops-answer']).launch(await specIn(d), files))
      await vm.shutdown()
      // Exited by itself (code 0), not killed after the deadline.
      expect(await vm.process.exited).toEqual({ code: 0, signal: null })
      expect(await vm.state()).toBe('stopped')
    })
  })
}
