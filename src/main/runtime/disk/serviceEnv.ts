import { z } from 'zod'
import { invalidInput } from '../../../shared/errors'
import { parseInput } from '../../../shared/schemaInput'
import { GUEST_DATA_MOUNT, GUEST_KEYSTORE_DIR } from './guestLayout'

import { CHAINS, type Chain } from '../../../shared/chains'

/** What a service is told about where it runs, before it becomes environment variables. */
export interface ServiceEnvInput {
  httpRpcUrl: string
  wsRpcUrl: string
  blueprintId: string | number | bigint
  serviceId: string | number | bigint
  /** e.g. `tangle`, `eigenlayer`. */
  protocol: string
  /** Derived from the HTTP RPC URL when omitted. */
  chain?: string
  /** Multiaddrs, joined with commas into `BOOTNODES`. */
  bootnodes?: string[]
  tangleContract?: string
  stakingContract?: string
  statusRegistryContract?: string
  /** Registration mode: the service captures its registration inputs and exits. */
  registration?: boolean
  /** Further variables, in order. */
  extraEnv?: Array<[name: string, value: string]>
  /** Set by bpvm when the guest reaches its bridge through a relay: the relay's socket in the guest. */
  bridgeSocketPath?: string
}

/** The service's command line after `run`. */
export interface ServiceArgsInput {
  testMode?: boolean
  pretty?: boolean
  /** How many `v`s in `-v…v`; 0 for none. */
  verbosity?: number
  dryRun?: boolean
  /** Further `key value` pairs, each passed as two arguments. */
  extraArgs?: Array<[key: string, value: string]>
}

export interface EnvVar {
  name: string
  value: string
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_U64 = 2n ** 64n - 1n

// Which field sets each variable the model owns (by its path in the request), so an extra
// variable cannot quietly override one.
const OWNED_BY: Record<string, string> = {
  HTTP_RPC_URL: 'env.httpRpcUrl',
  WS_RPC_URL: 'env.wsRpcUrl',
  KEYSTORE_URI: 'the VM layout (/srv/keystore)',
  DATA_DIR: 'the VM layout (/mnt/data)',
  BLUEPRINT_ID: 'env.blueprintId',
  SERVICE_ID: 'env.serviceId',
  PROTOCOL: 'env.protocol',
  CHAIN: 'env.chain',
  BOOTNODES: 'env.bootnodes',
  TANGLE_CONTRACT: 'env.tangleContract',
  STAKING_CONTRACT: 'env.stakingContract',
  RESTAKING_CONTRACT: 'env.stakingContract',
  BRIDGE_SOCKET_PATH: 'bpvm (the bridge transport)',
  STATUS_REGISTRY_CONTRACT: 'env.statusRegistryContract',
  REGISTRATION_MODE_ON: 'env.registration',
  REGISTRATION_OUTPUT_PATH: 'env.registration',
  REGISTRATION_CAPTURE_ONLY: 'env.registration'
}

/** Fields are named by their path in the request: `env.httpRpcUrl`, `args.extraArgs`. */
const pathIn = (group: string) => (path: readonly PropertyKey[]): string => [group, ...path.slice(0, 1).map(String)].join('.')

const required = (what: string) => ({ error: (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : what) })

const url = (protocols: readonly string[], what: string) =>
  z
    .string(required(what))
    // URL parsers silently drop tabs and newlines; refuse them rather than pass on a different URL.
    .refine((text) => !/[\s\p{Cc}]/u.test(text), 'must not contain spaces or control characters')
    .refine((text) => {
      try {
        return protocols.includes(new URL(text).protocol)
      } catch {
        return false
      }
    }, `must be ${what}`)

const u64 = z
  .union([z.string(), z.number(), z.bigint()], required('must be a whole number'))
  // A number past 2^53 has already lost digits; only a string or bigint can carry such an id.
  .refine((v) => typeof v !== 'number' || Number.isSafeInteger(v), 'must be a whole number; give large ids as text')
  .transform((v) => String(v))
  .refine((s) => /^\d+$/.test(s) && BigInt(s) <= MAX_U64, `must be a whole number from 0 to ${MAX_U64}`)
  .transform((s) => BigInt(s).toString())

const contract = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address (0x followed by 40 hex digits)').optional()

const envSchema = z.object({
  httpRpcUrl: url(['http:', 'https:'], 'an http:// or https:// URL'),
  wsRpcUrl: url(['ws:', 'wss:'], 'a ws:// or wss:// URL'),
  blueprintId: u64,
  serviceId: u64,
  protocol: z.string(required('must be text')).regex(/^[a-z][a-z0-9_-]*$/, 'must be a protocol name such as tangle or eigenlayer'),
  chain: z.enum(CHAINS, { error: `must be one of ${CHAINS.join(', ')}` }).optional(),
  bootnodes: z.array(z.string().regex(/^[^\s,\0]+$/, 'must be one multiaddr without spaces or commas')).optional(),
  tangleContract: contract,
  stakingContract: contract,
  statusRegistryContract: contract,
  registration: z.boolean().optional(),
  extraEnv: z.array(z.tuple([z.string(), z.string()]), { error: 'must be a list of NAME=VALUE pairs' }).optional(),
  bridgeSocketPath: z.string().regex(/^\/[\w./-]+$/, 'must be an absolute path').optional()
})

const argsSchema = z.object({
  testMode: z.boolean().optional(),
  pretty: z.boolean().optional(),
  verbosity: z.number().int('must be a whole number').min(0, 'cannot be negative').max(16, 'is at most 16').optional(),
  dryRun: z.boolean().optional(),
  extraArgs: z.array(z.tuple([z.string(), z.string()]), { error: 'must be a list of KEY=VALUE pairs' }).optional()
})

/** `CHAIN` when not given: a local node means the local testnet, anything else the public one. */
export function defaultChain(httpRpcUrl: string): Chain {
  const host = new URL(httpRpcUrl).hostname
  const local = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
  return local ? 'local_testnet' : 'testnet'
}

/**
 * The service's environment, in a stable order. Paths are those inside the VM: the data
 * disk at /mnt/data and the keystore on the read-only service disk.
 */
export function serviceEnvironment(input: ServiceEnvInput): EnvVar[] {
  const env = parseInput(envSchema, input, pathIn('env'))
  const vars: Array<[string, string | undefined]> = [
    ['HTTP_RPC_URL', env.httpRpcUrl],
    ['WS_RPC_URL', env.wsRpcUrl],
    ['KEYSTORE_URI', GUEST_KEYSTORE_DIR],
    ['DATA_DIR', GUEST_DATA_MOUNT],
    ['BLUEPRINT_ID', env.blueprintId],
    ['SERVICE_ID', env.serviceId],
    ['PROTOCOL', env.protocol],
    ['CHAIN', env.chain ?? defaultChain(env.httpRpcUrl)],
    ['BOOTNODES', (env.bootnodes ?? []).join(',')],
    ['TANGLE_CONTRACT', env.tangleContract],
    ['STAKING_CONTRACT', env.stakingContract],
    // Runners before manager 0.4.0-alpha.3 read the same contract under its old name.
    ['RESTAKING_CONTRACT', env.stakingContract],
    ['STATUS_REGISTRY_CONTRACT', env.statusRegistryContract],
    ['BRIDGE_SOCKET_PATH', env.bridgeSocketPath]
  ]
  if (env.registration) {
    vars.push(['REGISTRATION_MODE_ON', 'true'], ['REGISTRATION_OUTPUT_PATH', `${GUEST_DATA_MOUNT}/registration_inputs.bin`], ['REGISTRATION_CAPTURE_ONLY', 'true'])
  }
  const result: EnvVar[] = vars.flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]))
  const seen = new Set<string>()
  for (const [name, value] of env.extraEnv ?? []) {
    if (!ENV_NAME.test(name)) {
      throw invalidInput('env.extraEnv', `${JSON.stringify(name)} is not a variable name (letters, digits and _, not starting with a digit)`)
    }
    checkScriptText(value, 'env.extraEnv', `the value of ${name}`)
    const owner = OWNED_BY[name]
    if (owner) throw invalidInput('env.extraEnv', `${name} is set by ${owner}; use that instead`)
    if (seen.has(name)) throw invalidInput('env.extraEnv', `${name} is given more than once`)
    seen.add(name)
    result.push({ name, value })
  }
  return result
}

/** The service's arguments: `run`, the flags that are set, then the extra `key value` pairs. */
export function serviceArguments(input: ServiceArgsInput): string[] {
  const args = parseInput(argsSchema, input, pathIn('args'))
  const argv = ['run']
  if (args.testMode) argv.push('--test-mode')
  if (args.pretty) argv.push('--pretty')
  if (args.verbosity) argv.push(`-${'v'.repeat(args.verbosity)}`)
  if (args.dryRun) argv.push('--dry-run')
  for (const [key, value] of args.extraArgs ?? []) {
    if (key === '') throw invalidInput('args.extraArgs', 'a key cannot be empty')
    checkScriptText(key, 'args.extraArgs', `the key ${JSON.stringify(key)}`)
    checkScriptText(value, 'args.extraArgs', `the value of ${JSON.stringify(key)}`)
    argv.push(key, value)
  }
  return argv
}

/** Any text a program can receive: everything but NUL, as well-formed Unicode. */
function checkScriptText(text: string, field: string, what: string): void {
  if (text.includes('\0')) throw invalidInput(field, `${what} contains a NUL character, which no program argument or variable can hold`)
  // A lone surrogate has no UTF-8 form; the service would receive U+FFFD instead.
  if (/\p{Cs}/u.test(text)) throw invalidInput(field, `${what} is not valid Unicode text (lone surrogate)`)
}
