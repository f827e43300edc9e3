import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { qemuDriver } from '../../src/main/runtime/vmm/qemu/qemuDriver'
import type { QemuVm } from '../../src/main/runtime/vmm/qemu/qemuVm'
import type { DiskRole, VmSpec } from '../../src/main/runtime/vmm/vmSpec'

/**
 * Boots the dev guest for tests through the runtime's QEMU driver (TCG: nested KVM guests hang
 * here), inside a test network namespace, and follows its serial log with a timestamp per line.
 * Every wait is bounded, and every VM a test starts is killed after it.
 */

export interface GuestDrive {
  role: DiskRole
  path: string
  format: 'raw' | 'qcow2'
  readOnly?: boolean
}

export interface DevGuestVmOptions {
  kernel: string
  initramfs: string
  cmdline: string
  drives: GuestDrive[]
  serialLog: string
  /** A TAP device already made inside `netns`; QEMU runs in that namespace. */
  net: { netns: string; tap: string; mac: string; hostAddress: string; prefix: number }
}

export interface SerialLine {
  text: string
  /** Milliseconds after the launch began that the line was first seen. */
  atMs: number
}

export interface DevGuestVm {
  vm: QemuVm
  firstByteMs(): number | undefined
  lines(): SerialLine[]
  log(): string
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<SerialLine>
  /** QEMU's exit code; fails when it is still running after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<number | null>
}

async function startVm(options: DevGuestVmOptions): Promise<DevGuestVm> {
  const dir = dirname(options.serialLog)
  const spec: VmSpec = {
    name: 'dev-guest-test',
    id: 1,
    memoryBytes: 512 * 1024 * 1024,
    vcpus: 1,
    kernel: options.kernel,
    initramfs: options.initramfs,
    cmdline: options.cmdline,
    disks: options.drives.map((d) => ({ role: d.role, path: d.path, format: d.format, readonly: d.readOnly === true })),
    serial: { mode: 'file', path: options.serialLog },
    nic: { tap: options.net.tap, hostAddress: options.net.hostAddress, prefix: options.net.prefix, mac: options.net.mac },
    runDir: dir
  }
  const driver = qemuDriver({ program: 'ip', argsPrefix: ['netns', 'exec', options.net.netns, 'qemu-system-x86_64'], accel: 'tcg', net: { netns: options.net.netns } })
  const startedAt = performance.now()
  const vm = await driver.launch(spec, { socketPath: join(dir, 'qmp.sock'), stdoutPath: join(dir, 'qemu.stdout'), stderrPath: join(dir, 'qemu.stderr') })
  const seen: SerialLine[] = []
  let text = ''
  let firstByte: number | undefined
  let exitCode: number | null | undefined

  async function poll(): Promise<void> {
    const now = await readFile(options.serialLog, 'utf8').catch(() => '')
    if (now.length > 0 && firstByte === undefined) firstByte = performance.now() - startedAt
    if (now.length <= text.length) return
    text = now
    const complete = text.split('\n').slice(0, -1)
    for (const line of complete.slice(seen.length)) seen.push({ text: line.replace(/\r$/, ''), atMs: Math.round(performance.now() - startedAt) })
  }
  // Polled all along, so each line's time is when it appeared, not when a test asked for it.
  const poller = setInterval(() => void poll(), 20)
  void vm.process.exited.then(async (exit) => {
    clearInterval(poller)
    await poll()
    exitCode = exit.code
  })
  const describeState = (): string => `serial log so far:\n${text}\nQEMU ${exitCode === undefined ? 'still running' : `exited with ${exitCode}`}`

  return {
    vm,
    firstByteMs: () => (firstByte === undefined ? undefined : Math.round(firstByte)),
    lines: () => seen,
    log: () => text,
    async waitForLine(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        await poll()
        const found = seen.find((line) => pattern.test(line.text))
        if (found) return found
        if (exitCode !== undefined) throw new Error(`QEMU exited before the guest printed ${pattern}; ${describeState()}`)
        if (Date.now() > deadline) throw new Error(`the guest printed no line matching ${pattern} within ${timeoutMs} ms; ${describeState()}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },
    async waitForExit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`QEMU still running after ${timeoutMs} ms; ${describeState()}`)), timeoutMs)
      })
      try {
        const exit = await Promise.race([vm.process.waitForExit(), timeout])
        await poll()
        return exit.code
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/** Call at the top of a `describe`: `start` boots a VM that is killed after the current test. */
export function useDevGuestVms(): (options: DevGuestVmOptions) => Promise<DevGuestVm> {
  const running: DevGuestVm[] = []
  async function cleanup(): Promise<void> {
    await Promise.all(running.splice(0).map((guest) => guest.vm.kill()))
  }
  afterEach(cleanup)
  afterAll(cleanup)
  return async (options) => {
    const guest = await startVm(options)
    running.push(guest)
    return guest
  }
}
