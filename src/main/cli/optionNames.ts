import { BpvmError } from '../../shared/errors'

/** Request paths (as the runtime names fields) → the option a user types for each. */
export type OptionNames = Readonly<Record<string, string>>

/**
 * The runtime names a bad field by its path in the request (`memoryBytes`, `env.httpRpcUrl`,
 * `forward.0`); on the command line the option typed is the name to show. Maps the field (or,
 * for `forward.0`, its list) in the details and at the head of the message, and any other dotted
 * path the message mentions ("set by env.httpRpcUrl"); other errors pass through as they are.
 */
export function namingTheOption(error: unknown, optionOf: OptionNames): unknown {
  if (!(error instanceof BpvmError)) return error
  const field = error.details?.field
  if (typeof field !== 'string') return error
  const option = optionOf[field] ?? optionOf[field.split('.')[0]!]
  if (option === undefined) return error
  let message = error.message.replace(`${field}: `, `${option}: `)
  for (const [path, named] of Object.entries(optionOf)) if (path.includes('.')) message = message.replaceAll(path, named)
  return new BpvmError(error.code, message, { ...error.details, field: option })
}

/** The service's own options, shared by `bpvm launch` and `bpvm disk service`. */
export const SERVICE_OPTION_OF: OptionNames = {
  binary: '--binary',
  keystore: '--keystore',
  'env.httpRpcUrl': '--http-rpc-url',
  'env.wsRpcUrl': '--ws-rpc-url',
  'env.blueprintId': '--blueprint-id',
  'env.serviceId': '--service-id',
  'env.protocol': '--protocol',
  'env.chain': '--chain',
  'env.bootnodes': '--bootnode',
  'env.tangleContract': '--tangle-contract',
  'env.stakingContract': '--staking-contract',
  'env.statusRegistryContract': '--status-registry-contract',
  'env.registration': '--registration',
  'env.extraEnv': '--env',
  'args.testMode': '--test-mode',
  'args.pretty': '--pretty',
  'args.verbosity': '--verbose',
  'args.dryRun': '--dry-run',
  'args.extraArgs': '--arg'
}

/** `bpvm disk service`. */
export const SERVICE_DISK_OPTION_OF: OptionNames = { ...SERVICE_OPTION_OF, out: '--out' }

/** `bpvm launch`. */
export const LAUNCH_OPTION_OF: OptionNames = {
  ...SERVICE_OPTION_OF,
  name: '--name',
  memoryBytes: '--memory',
  vcpus: '--cpus',
  storageBytes: '--storage',
  guestGraceSeconds: '--grace',
  vmm: '--vmm',
  image: '--image',
  accel: '--accel',
  bridge: '--bridge',
  docker: '--docker',
  forward: '--forward',
  rpcCheck: '--no-rpc-check'
}

/** `bpvm disk cidata`. */
export const CIDATA_OPTION_OF: OptionNames = {
  instanceId: '--instance-id',
  mac: '--mac',
  address: '--address',
  gateway: '--gateway',
  dns: '--dns',
  out: '--out'
}

/** `bpvm disk data`. */
export const DATA_DISK_OPTION_OF: OptionNames = { sizeBytes: '--size', path: '--out' }
