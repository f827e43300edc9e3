import { isLoopbackHost } from '../../../shared/loopbackHost'
import { invalidInput } from '../../../shared/errors'

/**
 * Which ports of the host's loopback a guest reaches at its gateway address: those of its RPC
 * URLs that name the host's loopback (local testnet nodes listen on 127.0.0.1 by default), and
 * those the user marks with `forward` (a loopback URL, e.g. a KMS, or a bare port).
 */

export interface LoopbackForwardPlan {
  port: number
  /** What asked for it: `HTTP_RPC_URL`, `WS_RPC_URL`, or the marked URL or port as given. */
  for: string[]
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443 }

/** The port a URL names, or its scheme's default (http/ws 80, https/wss 443); undefined for another scheme without one. */
export function urlPort(parsed: URL): number | undefined {
  return parsed.port === '' ? DEFAULT_PORTS[parsed.protocol] : Number(parsed.port)
}

/** The port a loopback URL names (its scheme's default when it names none), or undefined for any other URL. */
export function loopbackPort(url: string): number | undefined {
  if (!URL.canParse(url)) return undefined
  const parsed = new URL(url)
  return isLoopbackHost(parsed.hostname) ? urlPort(parsed) : undefined
}

/** One marked forward: a loopback URL with a port, or a port from 1 to 65535. `field` names it in errors. */
export function markedPort(value: string, field: string): number {
  const text = String(value).trim()
  if (/^\d+$/.test(text)) {
    const port = Number(text)
    if (port < 1 || port > 65535) throw invalidInput(field, `port must be from 1 to 65535, got ${text}`)
    return port
  }
  const port = loopbackPort(text)
  if (port === undefined) throw invalidInput(field, `${JSON.stringify(text)} is neither a port nor a URL on the host's loopback (127.0.0.1 or localhost)`)
  return port
}

export function planLoopbackForwards(rpc: { httpRpcUrl: string; wsRpcUrl: string }, marked: readonly string[] = []): LoopbackForwardPlan[] {
  const plans = new Map<number, string[]>()
  const add = (port: number | undefined, label: string): void => {
    if (port === undefined) return
    plans.set(port, [...(plans.get(port) ?? []), label])
  }
  add(loopbackPort(rpc.httpRpcUrl), 'HTTP_RPC_URL')
  add(loopbackPort(rpc.wsRpcUrl), 'WS_RPC_URL')
  marked.forEach((value, i) => add(markedPort(value, `forward.${i}`), String(value).trim()))
  return [...plans].map(([port, labels]) => ({ port, for: labels })).sort((a, b) => a.port - b.port)
}
