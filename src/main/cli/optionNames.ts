import { API_ERROR_CODES } from '../../shared/api/channel'
import { BpvmError } from '../../shared/errors'

/** Request paths (as the runtime names fields) → the option a user types for each. */
export type OptionNames = Readonly<Record<string, string>>

/** The option for a request path: the path itself, else its nearest parent (`forward.0` → `forward`). */
function optionFor(field: string, optionOf: OptionNames): string | undefined {
  const parts = field.split('.')
  for (let n = parts.length; n > 0; n -= 1) {
    const option = optionOf[parts.slice(0, n).join('.')]
    if (option !== undefined) return option
  }
  return undefined
}

/**
 * The service names a bad field by its path in the request (`memoryBytes`, `env.httpRpcUrl`,
 * `forward.0`, `app.graceSeconds`); on the command line the option typed is the name to show.
 * Maps the field in the details and at the head of the message, and any other dotted path the
 * message mentions ("set by env.httpRpcUrl"). A request the contract's schema refused
 * (INVALID_ARGUMENT) is named by its first problem, each problem mapped. Other errors pass through.
 */
export function namingTheOption(error: unknown, optionOf: OptionNames): unknown {
  if (!(error instanceof BpvmError)) return error
  if (error.code === API_ERROR_CODES.invalidArgument) return namingSchemaProblems(error, optionOf)
  const field = error.details?.field
  if (typeof field !== 'string') return error
  const option = optionFor(field, optionOf)
  if (option === undefined) return error
  let message = error.message.replace(`${field}: `, `${option}: `)
  for (const [path, named] of Object.entries(optionOf)) if (path.includes('.')) message = message.replaceAll(path, named)
  return new BpvmError(error.code, message, { ...error.details, field: option })
}

function namingSchemaProblems(error: BpvmError, optionOf: OptionNames): BpvmError {
  const problems = error.details?.problems
  if (!Array.isArray(problems)) return error
  const named = problems.map((problem: { field: string; message: string }) => ({ ...problem, field: optionFor(problem.field, optionOf) ?? problem.field }))
  const first = named[0]
  if (first === undefined || optionFor(problems[0].field, optionOf) === undefined) return error
  return new BpvmError(error.code, `${first.field}: ${first.message}`, { ...error.details, field: first.field, problems: named })
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

/** `bpvm settings`: the general settings, as `settings:update` names them. */
export const SETTINGS_OPTION_OF: OptionNames = {
  'app.defaultVmm': '--vmm',
  'app.defaultImage': '--image',
  'app.defaultAccel': '--accel',
  'app.graceSeconds': '--grace',
  'app.logMaxBytes': '--log-size',
  'app.onQuit': '--on-quit',
  'app.theme': '--theme'
}

/** `bpvm net config`: the network settings, as `settings:update` names them. */
export const NET_CONFIG_OPTION_OF: OptionNames = { 'network.pool': '--pool', 'network.egressInterface': '--egress' }
