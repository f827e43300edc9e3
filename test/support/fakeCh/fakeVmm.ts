import { appendFileSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { BRIDGE_VSOCK_PORT } from '../../../src/main/runtime/bridge/bridgeContract'
import { BridgeTestClient } from '../bridgeClient'
import type { Scenario } from './scenario'
import { bindVsock, chain, closeVsock, configProblem, listenConsole, type FakeVm, type Reply } from './vmState'

const NO_CONTENT: Reply = { status: 204 }

/**
 * cloud-hypervisor's VMM thread as seen through its API (cloud-hypervisor-notes.md §2–3): no VM →
 * vm.create → Created → vm.boot → Running ↔ Paused; vm.shutdown → Created; vm.delete → no VM.
 * `powerOff` ends the process the way a guest power-off does.
 */
export class FakeVmm {
  private vm: FakeVm | undefined
  private bootFailed = false
  private console: { close: () => void } | undefined

  constructor(
    private readonly scenario: Scenario,
    private readonly powerOff: () => void
  ) {}

  readonly routes: Record<string, { method: 'GET' | 'PUT'; takesBody?: boolean; run: (body?: string) => Reply | Promise<Reply> }> = {
    'vmm.ping': { method: 'GET', run: () => this.json({ build_version: 'v53.0-fake', version: this.scenario.version === 'v53' ? '53.0.0' : '52.0.0', pid: process.pid, features: ['kvm'] }) },
    // Drift: 200 with no body, not the yaml's 204; the process exits once the answer is out.
    'vmm.shutdown': { method: 'PUT', run: () => (this.delete(), this.scenario.shutdownDropsAnswer ? { status: 0, drop: true, after: this.powerOff } : { status: 200, body: '', after: this.powerOff }) },
    'vm.create': { method: 'PUT', takesBody: true, run: (body) => this.create(body) },
    'vm.boot': { method: 'PUT', run: () => this.boot() },
    'vm.info': { method: 'GET', run: () => this.info() },
    'vm.counters': { method: 'GET', run: () => (this.booted() ? this.json({ _disk0: { read_bytes: 0, write_bytes: 0, read_ops: 0, write_ops: 0 } }) : this.notRunning('counters')) },
    'vm.shutdown': { method: 'PUT', run: () => this.shutdown() },
    'vm.power-button': { method: 'PUT', run: () => this.powerButton() },
    'vm.pause': { method: 'PUT', run: () => this.toggle('Running', 'Paused') },
    'vm.resume': { method: 'PUT', run: () => this.toggle('Paused', 'Running') },
    'vm.delete': { method: 'PUT', run: () => (this.delete(), NO_CONTENT) }
  }

  /** Drops the VM's devices, as the process does on its way out. */
  teardown(): void {
    closeVsock(this.vm)
    this.console?.close()
  }

  private json(value: unknown): Reply {
    return { status: 200, body: JSON.stringify(value) }
  }

  /** 404 from v53.0 (VmNotCreated / VmMissingConfig); every API error was 500 before. */
  private notCreated(context: string): Reply {
    return chain(this.scenario.version === 'v53' ? 404 : 500, context, 'VM is not created')
  }

  private notRunning(what: string): Reply {
    return chain(500, `The VM could not ${what}`, 'VM is not running')
  }

  private booted(): boolean {
    return this.vm?.object?.state === 'Running' || this.vm?.object?.state === 'Paused'
  }

  private async create(body?: string): Promise<Reply> {
    if (body === undefined) return { status: 400 }
    if (this.vm) return chain(500, 'The VM could not be created', 'VM is already created')
    // The config is stored before the console devices are opened: a failure there leaves it behind.
    this.vm = { config: JSON.parse(body) as FakeVm['config'] }
    const { serial, console } = this.vm.config
    try {
      if (serial?.mode === 'File' && serial.file) writeFileSync(serial.file, '')
      if (serial?.mode === 'Pty') serial.file = '/dev/pts/42'
      if (console?.mode === 'Socket' && console.socket) this.console = await listenConsole(console.socket)
    } catch (error) {
      return chain(500, 'The VM could not be created', 'Error creating console devices', (error as Error).message)
    }
    return NO_CONTENT
  }

  private async boot(): Promise<Reply> {
    const vm = this.vm
    if (!vm) return this.notCreated('The VM could not boot')
    if (vm.object) return chain(500, 'The VM could not boot', 'VM is already created')
    const problem = configProblem(vm.config)
    if (problem) return chain(500, 'The VM could not boot', problem)
    // The VMM thread is busy for the whole boot: every other request waits (served one at a time).
    if (this.scenario.bootDelayMs > 0) await sleep(this.scenario.bootDelayMs)
    let vsock
    try {
      vsock = vm.config.vsock?.socket ? await bindVsock(vm.config.vsock.socket) : undefined
    } catch (error) {
      return chain(500, 'The VM could not boot', 'Error creating VM', (error as Error).message)
    }
    if (this.scenario.failBootOnce && !this.bootFailed) {
      this.bootFailed = true
      vm.object = { state: 'Created', vsock }
      return chain(500, 'The VM could not boot', 'Error booting VM', 'Cannot load the kernel into memory')
    }
    vm.object = { state: 'Running', vsock }
    if (vm.config.serial?.mode === 'File' && vm.config.serial.file) appendFileSync(vm.config.serial.file, 'fake guest: booted\n')
    // The guest's service dials its bridge the way the runner does (CID 2 port 8000), which the
    // real VMM turns into a connection to `<vsock socket>_8000`, and Pings it.
    if (vm.config.vsock?.socket) void pingBridge(`${vm.config.vsock.socket}_${BRIDGE_VSOCK_PORT}`)
    const crashMs = this.scenario.crashAfterBootMs
    return crashMs === undefined ? NO_CONTENT : { ...NO_CONTENT, after: () => setTimeout(() => process.kill(process.pid, 'SIGKILL'), crashMs) }
  }

  private info(): Reply {
    const vm = this.vm
    if (!vm) return this.notCreated('The VM info is not available')
    const memory = vm.config.memory as { size?: number } | undefined
    return this.json({
      config: vm.config,
      state: vm.object?.state ?? 'Created',
      memory_actual_size: memory?.size ?? 512 * 1024 * 1024,
      ...(this.booted() ? { device_tree: {} } : {})
    })
  }

  /** Drops the VM object and keeps the config: vm.info says Created and vm.boot works again. */
  private shutdown(): Reply {
    if (!this.booted()) return this.notRunning('shut down')
    closeVsock(this.vm)
    this.console?.close()
    if (this.vm) this.vm.object = undefined
    return NO_CONTENT
  }

  /** Answered once the ACPI event is injected; the guest reacts later, or never. */
  private powerButton(): Reply {
    if (!this.booted()) return this.notRunning('power off')
    const delay = this.scenario.guestPowerOffMs
    if (delay === undefined || this.vm?.object?.state !== 'Running') return NO_CONTENT
    return { ...NO_CONTENT, after: () => setTimeout(this.powerOff, delay) }
  }

  private toggle(from: 'Running' | 'Paused', to: 'Running' | 'Paused'): Reply {
    const object = this.vm?.object
    if (!this.booted() || !object) return this.notRunning(to === 'Paused' ? 'pause' : 'resume')
    if (object.state !== from) return chain(500, `The VM could not ${to === 'Paused' ? 'pause' : 'resume'}`, `Invalid state transition from ${object.state} to ${to}`)
    object.state = to
    return NO_CONTENT
  }

  /** Answers 204 even when there is nothing to delete. */
  private delete(): void {
    closeVsock(this.vm)
    this.console?.close()
    this.console = undefined
    this.vm = undefined
  }
}

/** A guest service's first act: Ping the bridge, retrying while nothing listens yet; reported on stderr. */
async function pingBridge(socket: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const client = BridgeTestClient.unix(socket)
    try {
      await client.call('Ping')
      process.stderr.write(`fake guest: pinged the bridge on ${socket}\n`)
      return
    } catch {
      await sleep(100)
    } finally {
      client.close()
    }
  }
  process.stderr.write(`fake guest: no bridge answered on ${socket}\n`)
}
