import type { Command } from 'commander'
import { CHAINS } from '../../shared/chains'

export interface ServiceDiskOptions {
  binary: string
  keystore?: string
  out: string
  httpRpcUrl: string
  wsRpcUrl: string
  blueprintId: string
  serviceId: string
  protocol: string
  chain?: string
  bootnode?: string[]
  tangleContract?: string
  stakingContract?: string
  statusRegistryContract?: string
  registration?: boolean
  env?: string[]
  testMode?: boolean
  pretty?: boolean
  verbose: number
  dryRun?: boolean
  arg?: string[]
  json?: boolean
  force?: boolean
}

// No declared default, so help does not print `(default: [])`.
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]
const count = (_value: unknown, previous: number): number => previous + 1

/**
 * The `disk service` options, grouped as the service sees them: its environment and its
 * arguments. URLs are required because they must be reachable from inside the VM.
 */
export function addServiceDiskOptions(command: Command): Command {
  return addServiceOptions(
    command
      .requiredOption('--out <image>', 'disk image to write: a new file, or an existing regular file with --force')
      .option('--force', 'replace an existing file at --out')
      .option('--json', 'print the result as JSON')
  )
}

/** The service's binary, keystore, environment and arguments: shared by `disk service` and `launch`. */
export function addServiceOptions(command: Command): Command {
  return command
    .requiredOption('--binary <file>', "the blueprint's executable (becomes /srv/service in the VM)")
    .option('--keystore <dir>', 'keystore directory, copied as it is to /srv/keystore (empty when omitted)')
    .optionsGroup('Service environment:')
    .requiredOption('--http-rpc-url <url>', 'HTTP_RPC_URL, as reachable from inside the VM')
    .requiredOption('--ws-rpc-url <url>', 'WS_RPC_URL, as reachable from inside the VM')
    .requiredOption('--blueprint-id <n>', 'BLUEPRINT_ID')
    .requiredOption('--service-id <n>', 'SERVICE_ID')
    .option('--protocol <name>', 'PROTOCOL', 'tangle')
    .addOption(
      command
        .createOption('--chain <name>', 'CHAIN (default: local_testnet for a localhost/127.0.0.1 RPC URL, else testnet)')
        .choices(CHAINS)
    )
    .option('--bootnode <multiaddr>', 'a BOOTNODES entry (repeatable)', collect)
    .option('--tangle-contract <address>', 'TANGLE_CONTRACT')
    .option('--staking-contract <address>', 'STAKING_CONTRACT')
    .option('--status-registry-contract <address>', 'STATUS_REGISTRY_CONTRACT')
    .option('--registration', 'registration mode: capture the registration inputs to the data disk and exit')
    .option('--env <NAME=VALUE>', 'a further variable (repeatable; the value may hold any character)', collect)
    .optionsGroup('Service arguments (after "run"):')
    .option('--test-mode', 'pass --test-mode')
    .option('--pretty', 'pass --pretty')
    .option('-v, --verbose', 'pass -v; repeat for -vv, -vvv…', count, 0)
    .option('--dry-run', "pass --dry-run (the service's own dry run; the disk is still written)")
    .option('--arg <KEY=VALUE>', 'pass KEY and VALUE as two further arguments (repeatable)', collect)
}
