import type { Command } from 'commander'
import { runAction } from './cliOutput'
import { LAUNCH_OPTION_OF } from './optionNames'
import { addServiceOptions, type ServiceDiskOptions } from './serviceDiskOptions'
import type { InstanceSummary } from '../../shared/api/instances'
import type { ReconcileReport } from '../runtime/instance/reconcile'
import { describeBridge } from '../../shared/bridgeStatus'

// Runtime modules load when an action runs, so `bpvm` starts fast (see diskCommands.ts).
const actions = () => import('./instanceActions')

export interface LaunchOptions extends Omit<ServiceDiskOptions, 'out'> {
  name: string
  memory?: string
  cpus?: string
  storage?: string
  vmm?: string
  image?: string
  accel?: string
  grace?: string
  docker?: boolean
  bridge?: string
  forward?: string[]
  rpcCheck?: boolean
  detach?: boolean
  watch?: boolean
}

function describeRows(rows: InstanceSummary[]): string {
  if (rows.length === 0) return 'No instances. `bpvm launch --name NAME --binary FILE …` starts one.'
  const head = ['NAME', 'STATUS', 'IP', 'VMM', 'BRIDGE', 'SINCE', 'REASON']
  const lines = rows.map((r) => [r.name, r.status, r.guestAddress, r.vmm, bridgeCell(r), r.since, [r.reason, ...(r.bridge?.warning ? [r.bridge.warning] : [])].join('; ')])
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  return [head, ...lines].map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')
}

/** The bridge in one cell: how it is reached and whether the service is connected, then its ports. */
function bridgeCell(row: InstanceSummary): string {
  if (!row.bridge) return '-'
  const ports = row.bridge.ports.map((p) => String(p.port))
  return [describeBridge(row.bridge), ...(ports.length ? [`ports ${ports.join(',')}`] : [])].join(', ')
}

function describeReconcile(r: ReconcileReport): string {
  const lines = [
    ...r.ended.map((e) => `${e.name}: its VMM had stopped; marked ${e.status} (${e.reason}), network given back`),
    ...r.interrupted.map((n) => `${n}: interrupted launch undone`),
    ...(r.releasedLeases.length ? [`released leases of ${r.releasedLeases.join(', ')}`] : []),
    ...(r.removedTaps.length ? [`deleted TAP ${r.removedTaps.join(', ')}`] : []),
    ...(r.removedRulesOf.length ? [`removed the rules of ${r.removedRulesOf.join(', ')}`] : []),
    ...(r.killedVmms.length ? [`stopped stray VMM, bridge or vsock-daemon processes ${r.killedVmms.join(', ')}`] : []),
    ...(r.restartedBridges.length ? [`started the dead bridges of ${r.restartedBridges.join(', ')} again`] : []),
    ...(r.restartedConsoles.length ? [`started the dead console hubs of ${r.restartedConsoles.join(', ')} again`] : []),
    ...(r.vsockRouter ? [describeVsockRouter(r.vsockRouter)] : [])
  ]
  const live = r.live.length ? `Running: ${r.live.join(', ')}.` : 'No instance is running.'
  return [...(lines.length ? lines : ['Nothing to fix.']), live].join('\n')
}

function describeVsockRouter(r: NonNullable<ReconcileReport['vsockRouter']>): string {
  const parts = [
    ...(r.pruned.length ? [`removed the routes of guest CIDs ${r.pruned.join(', ')}`] : []),
    ...(r.listener === 'started' ? ['started it again'] : r.listener === 'stopped' ? ['stopped it, as no VM needs it'] : []),
    ...(r.problem ? [`could not start it: ${r.problem}`] : [])
  ]
  return `host vsock listener: ${parts.join('; ')}`
}

/** `bpvm launch | ls | down | reconcile`: the instance lifecycle. */
export function registerInstanceCommands(program: Command): void {
  addServiceOptions(program.command('launch').description('boot a blueprint service in its own micro-VM'))
    .requiredOption('--name <name>', 'instance name (a–z, 0–9, "-")')
    .optionsGroup('VM:')
    .option('--memory <size>', 'memory, e.g. 512M (default 512M)')
    .option('--cpus <n>', 'vCPUs (default 1)')
    .option('--storage <size>', 'data disk size, and the least size of the root disk, e.g. 1G (default 1G); an existing data disk is kept')
    .option('--vmm <vmm>', 'cloud-hypervisor or qemu (default: the setting; auto = cloud-hypervisor when installed, else qemu)')
    .option('--image <image>', 'ubuntu (Ubuntu 24.04 cloud image), debian (the Debian 12 cloud guest bpvm builds: the newest `bpvm image build-debian`, built at first use), dev (the offline dev guest) or the path of a directory with vmlinuz [initrd] [root.qcow2|root.img] [cmdline] (default: the setting, ubuntu)')
    .option('--docker', 'install Docker in the guest at first boot (needs the guest to reach a package mirror; its data on the data disk)')
    .option('--bridge <way>', 'how the service reaches its manager bridge: auto (default: vsock where the host has it, else a relay over the VM network), vsock, or relay')
    .option('--forward <url|port>', "also let the guest reach this port of the host's loopback at its gateway address (repeatable): a loopback URL, e.g. a KMS at http://127.0.0.1:9000 (rewritten to the gateway where it is a --env or --arg value), or a port; loopback RPC URLs are forwarded by themselves", (value: string, previous: string[] = []) => [...previous, value])
    .option('--no-rpc-check', 'launch even when nothing answers at the RPC URLs (by default a launch checks first)')
    .option('--accel <accel>', 'QEMU only: auto, kvm or tcg (default: the setting, auto)')
    .option('--grace <seconds>', 'how long the guest gives the service after the power button (default 10)')
    .option('--detach', 'return once the VM is up instead of following its serial log until it stops')
    .option('--watch', 'stay in the foreground and relaunch the VM whenever the binary or keystore is rewritten (once it is complete and has stayed unchanged a moment); Ctrl-C stops watching, the VM keeps running')
    .option('--json', 'print the result as JSON')
    .action(async (options: LaunchOptions) => {
      await runAction(
        options.json,
        async () => (await actions()).launch(options, options.json ? () => undefined : (await import('./launchProgressPrinter')).launchProgressPrinter()),
        (task) => `${task.target}: ${task.message ?? task.state}`,
        LAUNCH_OPTION_OF
      )
    })

  program
    .command('relaunch')
    .description('stop an instance gracefully and launch it again as it was launched, with the files as they are now; disks are kept')
    .argument('<name>', 'the instance')
    .option('--timeout <seconds>', 'how long to wait after the power button before killing (default: the grace setting)')
    .option('--json', 'print the ended task as JSON')
    .action(async (name: string, options: { timeout?: string; json?: boolean }) => {
      await runAction(
        options.json,
        async () => (await actions()).relaunch(name, options, options.json ? () => undefined : (await import('./launchProgressPrinter')).launchProgressPrinter()),
        (task) => `${task.target}: ${task.message ?? task.state}`,
        { graceSeconds: '--timeout' }
      )
    })

  program
    .command('ls')
    .description('list instances with their status, address and VMM (with NAME: that one instance); --json prints what the API answers (instances:list, instances:get)')
    .argument('[name]', 'only this instance')
    .option('--json', 'print the result as JSON')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      if (name === undefined) await runAction(options.json, async () => (await actions()).list(), describeRows)
      else await runAction(options.json, async () => (await actions()).show(name), (one) => describeRows([one]))
    })

  program
    .command('logs')
    .description("print an instance's log: the guest's serial console by default; -f follows it while the VM runs")
    .argument('<name>', 'the instance')
    .option('-f, --follow', 'keep printing as the log grows, until the VM stops (Ctrl-C stops following, not the VM)')
    .option('--stream <stream>', 'guest, stdout, stderr (the VMM\'s) or launch (the launch steps)', 'guest')
    .option('--json', 'print the log as JSON instead (no following)')
    .action(async (name: string, options: { follow?: boolean; stream?: string; json?: boolean }) => {
      await runAction(options.json, async () => (await actions()).logs(name, options), () => '')
    })

  program
    .command('reconcile')
    .description('bring records and host in line after a crash: end dead instances, undo interrupted launches, remove orphans')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await runAction(options.json, async () => (await actions()).reconcileNow(), describeReconcile)
    })

  program
    .command('down')
    .description('stop instances and give back their network; disks are kept unless --purge')
    .argument('[name]', 'the instance to stop')
    .option('--all', 'every instance, in parallel')
    .option('--force', 'kill the VMM now instead of pressing the power button first')
    .option('--timeout <seconds>', 'how long to wait after the power button before killing (default 30)')
    .option('--purge', 'also delete the disks, logs and record')
    .option('--json', 'print the result as JSON')
    .action(async (name: string | undefined, options: { all?: boolean; force?: boolean; timeout?: string; purge?: boolean; json?: boolean }) => {
      await runAction(
        options.json,
        async () => (await actions()).down(name, options),
        (answer) => {
          const reports = Array.isArray(answer) ? answer : [answer]
          return reports.length === 0 ? 'No instances to stop.' : reports.map((r) => `${r.name}: ${r.status} (${r.reason}); VMM ${r.stopped}${r.purged ? '; purged' : ''}`).join('\n')
        }
      )
    })
}
