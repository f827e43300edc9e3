import { createConnection } from 'node:net'
import type { RpcEndpointCheck } from '../../../shared/api/host'
import { BpvmError } from '../../../shared/errors'
import { HOST_LOOPBACK } from '../net/vmNetRuleSpec'
import { isLoopbackHost } from '../../../shared/loopbackHost'
import { urlPort } from './loopbackForwards'

/**
 * Before a launch boots anything: does anything answer at the RPC URLs? A TCP connect from the
 * host, to 127.0.0.1 for a loopback URL (where the guest's forward leads). A local testnet that
 * is not running is the likeliest first failure of a new service, and the guest would only say so
 * minutes later, in its own words.
 */

export type { RpcEndpointCheck }

export const RPC_CHECK_TIMEOUT_MS = 1_500

function connects(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port })
    const done = (problem: string | undefined): void => {
      socket.destroy()
      resolve(problem)
    }
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`))
    socket.once('connect', () => done(undefined))
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message)))
  })
}

export async function checkRpcEndpoint(field: string, url: string, timeoutMs = RPC_CHECK_TIMEOUT_MS): Promise<RpcEndpointCheck> {
  if (!URL.canParse(url)) return { field, url, ok: false, problem: 'not a URL' }
  const parsed = new URL(url)
  const port = urlPort(parsed)
  if (port === undefined) return { field, url, ok: false, problem: `no port for ${parsed.protocol} URLs` }
  const host = isLoopbackHost(parsed.hostname) ? HOST_LOOPBACK : parsed.hostname.replace(/^\[|\]$/g, '')
  const problem = await connects(host, port, timeoutMs)
  return problem === undefined ? { field, url, ok: true } : { field, url, ok: false, problem }
}

export function checkRpcEndpoints(env: { httpRpcUrl: string; wsRpcUrl: string }): Promise<RpcEndpointCheck[]> {
  return Promise.all([checkRpcEndpoint('env.httpRpcUrl', env.httpRpcUrl), checkRpcEndpoint('env.wsRpcUrl', env.wsRpcUrl)])
}

/** Fails the launch, naming each URL nothing answers at, unless the user launches past it. */
export async function requireRpcAnswers(env: { httpRpcUrl: string; wsRpcUrl: string }): Promise<void> {
  const failed = (await checkRpcEndpoints(env)).filter((check) => !check.ok)
  if (failed.length === 0) return
  const what = failed.map((check) => `${check.url} (${check.problem})`).join(' and ')
  throw new BpvmError('RPC_UNREACHABLE', `nothing answers at ${what}: is your local testnet running? (to launch anyway, skip the RPC check: --no-rpc-check, or the Launch form's checkbox)`, {
    field: failed[0]?.field,
    checks: failed
  })
}
