import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { qemuDriver } from '../../src/main/runtime/vmm/qemu/qemuDriver'

/**
 * Run as a Node process of its own, like the CLI: launches the stand-in QEMU, stops it one way
 * (`kill`, `stop`, `shutdown`) and prints `<how> done`. Nothing else holds the event loop open,
 * so a stop that does not keep it open itself never gets there.
 */
const [how, dir] = process.argv.slice(2) as [string, string]
const fake = fileURLToPath(new URL('./qemuFake.mjs', import.meta.url))
const vm = await qemuDriver({ program: process.execPath, argsPrefix: [fake, 'plain'], accel: 'tcg' }).launch(
  { name: 'cli', id: 1, memoryBytes: 128 * 1024 * 1024, vcpus: 1, kernel: join(dir, 'vmlinuz'), cmdline: '', disks: [], serial: { mode: 'pty' }, runDir: dir },
  { socketPath: join(dir, 'qmp.sock'), stdoutPath: join(dir, 'qemu.stdout'), stderrPath: join(dir, 'qemu.stderr') }
)
if (how === 'kill') await vm.kill()
else if (how === 'stop') await vm.process.stop(10_000)
else await vm.shutdown()
console.log(`${how} done ${JSON.stringify(await vm.process.exited)}`)
