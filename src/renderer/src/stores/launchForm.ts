import type { LaunchRequest } from '../../../shared/api/instances'
import { isLoopbackHost } from '../../../shared/loopbackHost'
import { fieldMapper, type FieldErrors } from './fieldErrors'
import { ERROR_CODES, type ErrorCode } from '../../../shared/errorCodes'

export interface KeyValueRow {
  /** Stable key for the list (rows are added and removed). */
  id: number
  key: string
  value: string
}

/** What the Launch form holds, as the user typed it (numbers as text until sent). */
export interface LaunchForm {
  name: string
  binary: string
  keystore: string
  httpRpcUrl: string
  wsRpcUrl: string
  blueprintId: string
  serviceId: string
  protocol: string
  chain: string
  /** One multiaddr per line. */
  bootnodes: string
  tangleContract: string
  stakingContract: string
  statusRegistryContract: string
  registration: boolean
  extraEnv: KeyValueRow[]
  testMode: boolean
  pretty: boolean
  verbosity: number
  dryRun: boolean
  extraArgs: KeyValueRow[]
  memoryMiB: string
  vcpus: string
  storageGiB: string
  /** '' = the default from the settings. */
  vmm: '' | 'auto' | 'cloud-hypervisor' | 'qemu'
  image: '' | 'ubuntu' | 'debian' | 'dev' | 'custom'
  customImage: string
  accel: '' | 'auto' | 'kvm' | 'tcg'
  /** Install Docker in the guest at first boot. */
  docker: boolean
  /** How the service reaches its manager bridge. */
  bridge: 'auto' | 'vsock' | 'relay'
  /** Further host loopback ports for the guest: loopback URLs or ports, one per line or comma-separated. */
  forward: string
  /** Launch even when nothing answers at the RPC URLs. */
  skipRpcCheck: boolean
  /** Relaunch when the binary or keystore is rewritten. */
  watch: boolean
}

/** The reference's environment for a local Tangle node. */
export function defaultLaunchForm(): LaunchForm {
  return {
    name: '',
    binary: '',
    keystore: '',
    httpRpcUrl: 'http://127.0.0.1:9944',
    wsRpcUrl: 'ws://127.0.0.1:9944',
    blueprintId: '',
    serviceId: '',
    protocol: 'tangle',
    chain: '',
    bootnodes: '',
    tangleContract: '',
    stakingContract: '',
    statusRegistryContract: '',
    registration: false,
    extraEnv: [],
    testMode: false,
    pretty: false,
    verbosity: 0,
    dryRun: false,
    extraArgs: [],
    memoryMiB: '512',
    vcpus: '1',
    storageGiB: '1',
    vmm: '',
    image: '',
    customImage: '',
    accel: '',
    docker: false,
    bridge: 'auto',
    forward: '',
    skipRpcCheck: false,
    watch: false
  }
}

const INSTANCE_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const WHOLE = /^\d+$/
const CONTRACT = /^0x[0-9a-fA-F]{40}$/

function urlProblem(text: string, protocols: string[], what: string): string | undefined {
  if (text.trim() === '') return 'is required'
  try {
    if (protocols.includes(new URL(text).protocol)) return undefined
  } catch {
    // fall through to the message
  }
  return `must be ${what}`
}

function wholeInRange(text: string, min: number, max: number, unit: string): string | undefined {
  if (text.trim() === '') return 'is required'
  if (!WHOLE.test(text.trim())) return 'must be a whole number'
  const n = Number(text)
  if (n < min || n > max) return `must be from ${min} to ${max} ${unit}`
  return undefined
}

/** What can be checked here, before the runtime sees it; the runtime checks everything again. */
export function validateLaunchForm(form: LaunchForm): FieldErrors {
  const errors: FieldErrors = {}
  const set = (field: string, problem: string | undefined): void => {
    if (problem) errors[field] = problem
  }
  set('name', form.name === '' ? 'is required' : INSTANCE_NAME.test(form.name) ? undefined : 'must be 1–32 characters of a–z, 0–9 and "-", starting and ending with a letter or digit')
  set('binary', form.binary.trim() === '' ? 'is required' : undefined)
  set('httpRpcUrl', urlProblem(form.httpRpcUrl, ['http:', 'https:'], 'an http:// or https:// URL'))
  set('wsRpcUrl', urlProblem(form.wsRpcUrl, ['ws:', 'wss:'], 'a ws:// or wss:// URL'))
  for (const field of ['blueprintId', 'serviceId'] as const) {
    const text = form[field].trim()
    set(field, text === '' ? 'is required' : WHOLE.test(text) ? undefined : 'must be a whole number')
  }
  set('protocol', form.protocol === '' ? 'is required' : /^[a-z][a-z0-9_-]*$/.test(form.protocol) ? undefined : 'must be a protocol name such as tangle or eigenlayer')
  for (const field of ['tangleContract', 'stakingContract', 'statusRegistryContract'] as const) {
    const text = form[field].trim()
    if (text !== '' && !CONTRACT.test(text)) set(field, 'must be 0x followed by 40 hex digits')
  }
  const seen = new Set<string>()
  form.extraEnv.forEach((row, i) => {
    if (!ENV_NAME.test(row.key)) set(`extraEnv.${i}`, row.key === '' ? 'needs a name' : `"${row.key}" is not a variable name (letters, digits and _, not starting with a digit)`)
    else if (seen.has(row.key)) set(`extraEnv.${i}`, `${row.key} is given more than once`)
    seen.add(row.key)
  })
  form.extraArgs.forEach((row, i) => {
    if (row.key.trim() === '') set(`extraArgs.${i}`, 'needs a key')
  })
  set('memoryMiB', wholeInRange(form.memoryMiB, 128, 1024 * 1024, 'MiB'))
  set('vcpus', wholeInRange(form.vcpus, 1, 64, 'vCPUs'))
  set('storageGiB', wholeInRange(form.storageGiB, 1, 64 * 1024, 'GiB'))
  if (form.image === 'custom') set('customImage', form.customImage.trim() === '' ? 'is required for a custom image' : undefined)
  set('docker', form.docker && form.image === 'dev' ? 'the dev guest has no package manager to install Docker with; choose Debian or Ubuntu' : undefined)
  set('forward', forwardEntries(form.forward).map(forwardProblem).find((problem) => problem !== undefined))
  if (form.vmm === 'cloud-hypervisor' && form.accel === 'tcg') set('accel', 'cloud-hypervisor runs on KVM only; choose QEMU for software emulation (tcg)')
  return errors
}

const optional = (text: string): string | undefined => (text.trim() === '' ? undefined : text.trim())

const forwardEntries = (text: string): string[] => text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '')

/** One forward entry: a port, or a URL on this host's loopback (the runtime checks the same). */
function forwardProblem(entry: string): string | undefined {
  if (/^\d+$/.test(entry)) return Number(entry) >= 1 && Number(entry) <= 65535 ? undefined : `${entry}: a port is from 1 to 65535`
  const parsed = URL.canParse(entry) ? new URL(entry) : undefined
  if (parsed && isLoopbackHost(parsed.hostname)) return undefined
  return `${entry}: neither a port nor a URL on this host's loopback (127.0.0.1 or localhost)`
}
const MiB = 1024 * 1024

/** The request the form stands for; only call with a form that passed `validateLaunchForm`. */
export function buildLaunchRequest(form: LaunchForm): LaunchRequest {
  const bootnodes = form.bootnodes.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '')
  const request: LaunchRequest = {
    name: form.name,
    binary: form.binary.trim(),
    env: {
      httpRpcUrl: form.httpRpcUrl.trim(),
      wsRpcUrl: form.wsRpcUrl.trim(),
      blueprintId: form.blueprintId.trim(),
      serviceId: form.serviceId.trim(),
      protocol: form.protocol
    },
    args: { testMode: form.testMode, pretty: form.pretty, verbosity: form.verbosity, dryRun: form.dryRun },
    memoryBytes: Number(form.memoryMiB) * MiB,
    vcpus: Number(form.vcpus),
    storageBytes: Number(form.storageGiB) * 1024 * MiB
  }
  const keystore = optional(form.keystore)
  if (keystore) request.keystore = keystore
  const env = request.env
  const chain = optional(form.chain)
  if (chain) env.chain = chain
  if (bootnodes.length > 0) env.bootnodes = bootnodes
  for (const field of ['tangleContract', 'stakingContract', 'statusRegistryContract'] as const) {
    const value = optional(form[field])
    if (value) env[field] = value
  }
  if (form.registration) env.registration = true
  if (form.extraEnv.length > 0) env.extraEnv = form.extraEnv.map((row) => [row.key, row.value])
  if (form.extraArgs.length > 0) request.args.extraArgs = form.extraArgs.map((row) => [row.key.trim(), row.value])
  if (form.vmm) request.vmm = form.vmm
  if (form.image === 'custom') request.image = form.customImage.trim()
  else if (form.image) request.image = form.image
  if (form.accel) request.accel = form.accel
  if (form.docker) request.docker = true
  if (form.bridge !== 'auto') request.bridge = form.bridge
  const forward = forwardEntries(form.forward)
  if (forward.length > 0) request.forward = forward
  if (form.skipRpcCheck) request.rpcCheck = false
  if (form.watch) request.watch = true
  return request
}

/**
 * The runtime and the API's schema both name a field by its path in the request
 * (`env.httpRpcUrl`, `memoryBytes`, `forward.0`): each lands on the form's field.
 */
export const launchFieldOf = fieldMapper({
  name: 'name',
  binary: 'binary',
  keystore: 'keystore',
  'env.httpRpcUrl': 'httpRpcUrl',
  'env.wsRpcUrl': 'wsRpcUrl',
  'env.blueprintId': 'blueprintId',
  'env.serviceId': 'serviceId',
  'env.protocol': 'protocol',
  'env.chain': 'chain',
  'env.bootnodes': 'bootnodes',
  'env.tangleContract': 'tangleContract',
  'env.stakingContract': 'stakingContract',
  'env.statusRegistryContract': 'statusRegistryContract',
  'env.registration': 'registration',
  'env.extraEnv': 'extraEnv',
  'args.verbosity': 'verbosity',
  'args.extraArgs': 'extraArgs',
  memoryBytes: 'memoryMiB',
  vcpus: 'vcpus',
  storageBytes: 'storageGiB',
  vmm: 'vmm',
  image: 'image',
  accel: 'accel',
  docker: 'docker',
  bridge: 'bridge',
  forward: 'forward',
  rpcCheck: 'skipRpcCheck',
  watch: 'watch'
})

/** Errors that mean the host is missing something, not that the form is wrong: the Host view says how to fix them. */
export const HOST_ERROR_CODES: ReadonlySet<ErrorCode> = new Set([ERROR_CODES.NET_ADMIN_REQUIRED, ERROR_CODES.PROGRAM_NOT_FOUND, ERROR_CODES.KVM_UNAVAILABLE, ERROR_CODES.EGRESS_NOT_FOUND, ERROR_CODES.UNSUPPORTED_HOST])
