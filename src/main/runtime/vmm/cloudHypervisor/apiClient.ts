import { Client } from 'undici'
import type { z } from 'zod'
import { parseJsonWith } from '../../state/parseJson'
import { BpvmError } from '../../../../shared/errors'
import { checkSocketPath } from '../vmSpec'
import { apiError, apiTimeout, apiUnreachable } from './apiErrors'
import {
  vmCountersSchema,
  vmInfoSchema,
  vmmPingSchema,
  type ChEndpoint,
  type ChVmConfig,
  type VmCounters,
  type VmInfo,
  type VmmPing
} from './apiTypes'

export interface ChApiTimeouts {
  /** ping, info, counters: answered at once by a healthy VMM. */
  quickMs: number
  /** create, boot, shutdown, delete: the VMM may be building or tearing down devices. */
  slowMs: number
}

export const DEFAULT_API_TIMEOUTS: ChApiTimeouts = { quickMs: 2_000, slowMs: 60_000 }

const BASE = '/api/v1/'

/**
 * The only door to one cloud-hypervisor's REST API, over its Unix socket. The server handles one
 * request at a time and allows 10 connections, so requests are queued here and each one uses a
 * fresh connection that is closed after the answer: never more than one open, never pipelined.
 */
export class CloudHypervisorApi {
  private readonly client: Client
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly socketPath: string,
    private readonly timeouts: ChApiTimeouts = DEFAULT_API_TIMEOUTS
  ) {
    checkSocketPath('cloud-hypervisor API socket', socketPath)
    this.client = new Client('http://localhost', { connect: { socketPath, timeout: timeouts.quickMs }, pipelining: 1 })
  }

  async ping(): Promise<VmmPing> {
    return this.parsed('vmm.ping', vmmPingSchema, await this.call('vmm.ping', 'GET', this.timeouts.quickMs))
  }

  async info(): Promise<VmInfo> {
    return this.parsed('vm.info', vmInfoSchema, await this.call('vm.info', 'GET', this.timeouts.quickMs))
  }

  async counters(): Promise<VmCounters> {
    return this.parsed('vm.counters', vmCountersSchema, await this.call('vm.counters', 'GET', this.timeouts.quickMs))
  }

  async createVm(config: ChVmConfig): Promise<void> {
    await this.call('vm.create', 'PUT', this.timeouts.slowMs, config)
  }

  // Action endpoints take no body at all: the server answers 400 to one.
  async bootVm(): Promise<void> {
    await this.call('vm.boot', 'PUT', this.timeouts.slowMs)
  }

  async powerButton(): Promise<void> {
    await this.call('vm.power-button', 'PUT', this.timeouts.slowMs)
  }

  async shutdownVm(): Promise<void> {
    await this.call('vm.shutdown', 'PUT', this.timeouts.slowMs)
  }

  async deleteVm(): Promise<void> {
    await this.call('vm.delete', 'PUT', this.timeouts.slowMs)
  }

  /** Answers 200 with an empty body (the spec says 204), then the process exits; the answer may be lost to that race. */
  async shutdownVmm(): Promise<void> {
    await this.call('vmm.shutdown', 'PUT', this.timeouts.slowMs)
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined)
  }

  /** Runs requests strictly one after another; a timeout starts when the request is sent, not when queued. */
  private call(endpoint: ChEndpoint, method: 'GET' | 'PUT', timeoutMs: number, body?: unknown): Promise<string> {
    const run = this.queue.then(() => this.send(endpoint, method, timeoutMs, body))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async send(endpoint: ChEndpoint, method: 'GET' | 'PUT', timeoutMs: number, body?: unknown): Promise<string> {
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const response = await this.client.request({
        path: BASE + endpoint,
        method,
        // A Buffer is sent with Content-Length: the server cannot decode chunked bodies.
        ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'application/json' } }),
        reset: true,
        signal
      })
      const text = await response.body.text()
      if (response.statusCode < 200 || response.statusCode > 299) throw apiError(endpoint, response.statusCode, text)
      return text
    } catch (error) {
      if (error instanceof BpvmError) throw error
      if (signal.aborted) throw apiTimeout(endpoint, timeoutMs)
      throw apiUnreachable(endpoint, error)
    }
  }

  private parsed<T>(endpoint: ChEndpoint, schema: z.ZodType<T>, text: string): T {
    const value = parseJsonWith(text, schema)
    if (value === undefined) {
      throw new BpvmError('CH_API_BAD_ANSWER', `cloud-hypervisor answered ${endpoint} with something unexpected: ${text.slice(0, 200)}`, { endpoint })
    }
    return value
  }
}
