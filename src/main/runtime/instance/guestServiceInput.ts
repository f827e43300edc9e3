import { defaultChain } from '../disk/serviceEnv'
import { rewriteLoopbackUrl, type CheckedLaunch, type LaunchSpec } from './launchSpec'

/** A URL the user marked for forwarding, wherever it is a whole value, points at the gateway in the guest. */
function rewriteMarked(spec: CheckedLaunch, hostAddress: string): (value: string) => string {
  const marked = new Set(spec.forward.filter((value) => !/^\d+$/.test(value)))
  return (value) => (marked.has(value) ? rewriteLoopbackUrl(value, hostAddress) : value)
}

/**
 * The service's environment as the guest needs it: the host's loopback becomes the TAP's address,
 * in the RPC URLs and in the values of `--env` that are URLs marked for forwarding.
 */
export function guestEnv(spec: CheckedLaunch, hostAddress: string): LaunchSpec['env'] {
  const original = spec.env.httpRpcUrl
  // CHAIN is decided on the URL the user gave, before the rewrite hides that it was local;
  // a URL that does not parse is left for the env model to report, naming its field.
  const chain = spec.env.chain ?? (URL.canParse(original) ? defaultChain(original) : undefined)
  const rewrite = rewriteMarked(spec, hostAddress)
  return {
    ...spec.env,
    ...(chain === undefined ? {} : { chain }),
    httpRpcUrl: rewriteLoopbackUrl(original, hostAddress),
    wsRpcUrl: rewriteLoopbackUrl(spec.env.wsRpcUrl, hostAddress),
    ...(spec.env.extraEnv ? { extraEnv: spec.env.extraEnv.map(([name, value]): [string, string] => [name, rewrite(value)]) } : {})
  }
}

/** The service's arguments as the guest needs them: values of `--arg` that are URLs marked for forwarding point at the gateway. */
export function guestArgs(spec: CheckedLaunch, hostAddress: string): LaunchSpec['args'] {
  const rewrite = rewriteMarked(spec, hostAddress)
  return { ...spec.args, ...(spec.args.extraArgs ? { extraArgs: spec.args.extraArgs.map(([key, value]): [string, string] => [key, rewrite(value)]) } : {}) }
}
