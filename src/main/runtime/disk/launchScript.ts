import { invalidInput } from '../../../shared/errors'
import { GUEST_SERVICE_BINARY } from './guestLayout'
import { ENV_NAME, type EnvVar } from './serviceEnv'
import { shellQuote } from './shellQuote'

/**
 * The `/launch` script the guest's launch unit runs: export the environment, then replace
 * the shell with the service. Every value and argument is single-quoted, so the service
 * receives exactly the bytes it was given, whatever they contain.
 */
export function launchScript(env: readonly EnvVar[], args: readonly string[]): string {
  const lines = ['#!/bin/sh', 'set -e']
  for (const { name, value } of env) {
    // The name is written unquoted, so it is checked here too, not only by the caller.
    if (!ENV_NAME.test(name)) throw invalidInput('env.extraEnv', `${JSON.stringify(name)} is not a variable name`)
    lines.push(`export ${name}=${shellQuote(value, 'env.extraEnv')}`)
  }
  lines.push(['exec', GUEST_SERVICE_BINARY, ...args.map((arg) => shellQuote(arg, 'args.extraArgs'))].join(' '))
  return `${lines.join('\n')}\n`
}
