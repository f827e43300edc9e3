import { BpvmError } from '../runtime/errors'

/**
 * The runtime names a bad field as its request does (`memory`, `forward.0`); on the command line
 * the option typed is the name to show. Maps the field (or, for `forward.0`, its list) to its
 * option, in the details and in the message; other errors pass through as they are.
 */
export function namingTheOption(error: unknown, optionOf: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof BpvmError)) return error
  const field = error.details?.field
  if (typeof field !== 'string') return error
  const option = optionOf[field] ?? optionOf[field.split('.')[0]!]
  if (option === undefined) return error
  const message = error.message.replace(`${field}: `, `${option}: `)
  return new BpvmError(error.code, message, { ...error.details, field: option })
}

/** `bpvm launch`: each launch field and the option that sets it. */
export const LAUNCH_OPTION_OF: Readonly<Record<string, string>> = {
  name: '--name',
  memory: '--memory',
  cpus: '--cpus',
  storage: '--storage',
  grace: '--grace',
  vmm: '--vmm',
  image: '--image',
  accel: '--accel',
  bridge: '--bridge',
  docker: '--docker',
  forward: '--forward',
  rpcCheck: '--no-rpc-check'
}
