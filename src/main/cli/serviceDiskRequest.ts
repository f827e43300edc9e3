import type { ServiceDiskRequest } from '../runtime/disk/serviceDisk'
import { invalidInput } from '../../shared/errors'
import type { ServiceDiskOptions } from './serviceDiskOptions'

/** The parsed `disk service` options as the runtime's typed request. */
export function serviceDiskRequest(options: ServiceDiskOptions): ServiceDiskRequest {
  return { ...serviceParts(options), out: options.out, ...(options.force ? { replace: true } : {}) }
}

/** The service's binary, keystore, environment and arguments, as `disk service` and `launch` take them. */
export function serviceParts(options: Omit<ServiceDiskOptions, 'out'>): Omit<ServiceDiskRequest, 'out'> {
  return {
    binary: options.binary,
    ...(options.keystore === undefined ? {} : { keystore: options.keystore }),
    env: {
      httpRpcUrl: options.httpRpcUrl,
      wsRpcUrl: options.wsRpcUrl,
      blueprintId: options.blueprintId,
      serviceId: options.serviceId,
      protocol: options.protocol,
      chain: options.chain,
      bootnodes: options.bootnode ?? [],
      tangleContract: options.tangleContract,
      stakingContract: options.stakingContract,
      statusRegistryContract: options.statusRegistryContract,
      registration: options.registration === true,
      extraEnv: (options.env ?? []).map((text) => splitKeyValue(text, '--env'))
    },
    args: {
      testMode: options.testMode === true,
      pretty: options.pretty === true,
      verbosity: options.verbose,
      dryRun: options.dryRun === true,
      extraArgs: (options.arg ?? []).map((text) => splitKeyValue(text, '--arg'))
    }
  }
}

/** Splits `KEY=VALUE` at the first `=`; the value may be empty and may hold further `=`. */
export function splitKeyValue(text: string, field: string): [string, string] {
  const at = text.indexOf('=')
  if (at <= 0) throw invalidInput(field, `expected KEY=VALUE, got ${JSON.stringify(text)}`)
  return [text.slice(0, at), text.slice(at + 1)]
}
