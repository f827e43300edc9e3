import type { Command } from 'commander'
import type { CleanupReport, NetInventory } from '../runtime/net/netInventory'
import { runAction } from './cliOutput'
import { NET_CONFIG_OPTION_OF } from './optionNames'

// Runtime modules load when an action runs, so `bpvm` starts fast (see diskCommands.ts).
const net = () => import('./netActions')

function describeInventory(inventory: NetInventory): string {
  const lines: string[] = []
  lines.push(inventory.leases.length === 0 ? 'Leases: none' : 'Leases:')
  for (const l of inventory.leases) {
    lines.push(`  ${l.state.padEnd(7)}  id ${String(l.id).padEnd(6)} ${l.tap.padEnd(15)} ${l.subnet.padEnd(18)} ${l.owner}  (TAP ${l.tapPresent ? 'present' : 'absent'}, ${l.rules} rules)`)
  }
  lines.push(inventory.taps.length === 0 ? 'TAP devices: none' : 'TAP devices:')
  for (const t of inventory.taps) lines.push(`  ${t.state.padEnd(7)}  ${t.name} (${t.up ? 'up' : 'down'})`)
  lines.push(inventory.rules.length === 0 ? 'nftables rules: none' : 'nftables rules (table inet tangle_router):')
  for (const r of inventory.rules) lines.push(`  ${r.state.padEnd(7)}  ${r.chain.padEnd(14)} ${r.kind.padEnd(11)} ${r.tap || '(not ours)'}  handle ${r.handle}`)
  const orphans = inventory.taps.filter((t) => t.state === 'orphan').length + inventory.rules.filter((r) => r.state === 'orphan').length
  lines.push(orphans === 0 ? 'No orphans.' : `${orphans} orphan${orphans === 1 ? '' : 's'}: \`bpvm net cleanup\` removes them.`)
  const unknown = inventory.taps.filter((t) => t.state === 'unknown').length + inventory.rules.filter((r) => r.state === 'unknown').length
  if (unknown > 0) {
    lines.push(`${unknown} look-alike${unknown === 1 ? '' : 's'} (state unknown): named like ours but not provably made by this bpvm home, so never removed by bpvm; delete ${unknown === 1 ? 'it' : 'them'} by hand (ip link del, nft delete rule) if ${unknown === 1 ? 'it is' : 'they are'} yours.`)
  }
  return lines.join('\n')
}

function describeCleanup(report: CleanupReport): string {
  if (report.removedTaps.length === 0 && report.removedRulesOf.length === 0) return 'Nothing to clean up: no orphan TAPs or rules.'
  const parts: string[] = []
  if (report.removedRulesOf.length > 0) parts.push(`removed the nftables rules of ${report.removedRulesOf.join(', ')}`)
  if (report.removedTaps.length > 0) parts.push(`deleted TAP ${report.removedTaps.join(', ')}`)
  return `Cleaned up: ${parts.join('; ')}.`
}

/** `bpvm net ls|cleanup|forwarding`: the host networking VMs use. */
export function registerNetCommands(program: Command): void {
  const group = program.command('net').description('host networking for VMs: leases, TAP devices, nftables rules')

  group
    .command('ls')
    .description('list leases, TAP devices and nftables rules, each marked live, orphan (this home made it; nothing holds it), other (another bpvm home\'s) or unknown (a look-alike)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await runAction(options.json, async () => (await net()).listNet(), describeInventory)
    })

  group
    .command('cleanup')
    .description('remove orphan TAP devices and rules (tagged by this home, held by no lease; exactly what net ls marks orphan); says what it removed')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await runAction(options.json, async () => (await net()).cleanupNet(), describeCleanup)
    })

  group
    .command('config')
    .description('show or change the network settings (address pool, egress interface), checked when set')
    .option('--pool <cidr>', 'the network each VM takes its /30 from (default 172.30.0.0/16)')
    .option('--egress <interface>', 'the interface VM traffic leaves by (must exist)')
    .option('--egress-default', "go back to the default route's interface")
    .option('--json', 'print the result as JSON')
    .action(async (options: { pool?: string; egress?: string; egressDefault?: boolean; json?: boolean }) => {
      const patch = {
        ...(options.pool === undefined ? {} : { pool: options.pool }),
        ...(options.egressDefault ? { egressInterface: null } : options.egress === undefined ? {} : { egressInterface: options.egress })
      }
      await runAction(
        options.json,
        async () => (await net()).configureNet(patch),
        (s) => `Address pool: ${s.pool}\nEgress interface: ${s.egressInterface ?? "the default route's"}`,
        NET_CONFIG_OPTION_OF
      )
    })

  group
    .command('forwarding')
    .description('show whether IPv4 forwarding is on (VMs need it to reach beyond the host)')
    .option('--enable', 'turn it on (net.ipv4.ip_forward=1)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { enable?: boolean; json?: boolean }) => {
      await runAction(
        options.json,
        async () => (await net()).forwarding(options.enable === true),
        (s) => `IPv4 forwarding is ${s.enabled ? 'on' : 'off'}${s.changed ? ' (turned on now)' : ''}.`
      )
    })
}
