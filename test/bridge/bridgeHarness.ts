import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { bridgeFiles, writeBridgeConfig, type BridgeConfig, type BridgeState } from '../../src/main/runtime/bridge/bridgeFiles'
import { startBridge, stopBridge } from '../../src/main/runtime/bridge/bridgeProcess'
import type { ProcessIdentity } from '../../src/main/runtime/state/processIdentity'
import { BridgeTestClient } from '../support/bridgeClient'
import { useTempDirs } from '../support/tempDirs'

export interface TestBridge {
  dir: string
  config: BridgeConfig
  identity: Required<ProcessIdentity>
  /** The host's own socket and the one a vsock guest's connections arrive on. */
  hostSocket: string
  guestSocket: string
  client: (socket?: string) => BridgeTestClient
  state: () => Promise<BridgeState>
  log: () => Promise<string>
  restart: () => Promise<void>
  stop: () => Promise<void>
}

/** Real bridge processes in temp directories, stopped (and their clients closed) after each test. */
export function useTestBridges(): (overrides?: Partial<BridgeConfig>) => Promise<TestBridge> {
  const tempDir = useTempDirs('bpvm-bridge-')
  const running: TestBridge[] = []
  const clients: BridgeTestClient[] = []
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close()
    for (const bridge of running.splice(0)) await bridge.stop()
  })
  return async (overrides = {}) => {
    const dir = await tempDir()
    const files = bridgeFiles(dir)
    const guestSocket = join(dir, 'vsock.sock_8000')
    const config: BridgeConfig = {
      version: 1, instance: 'test', serviceId: '42', guestAddress: '127.0.0.2', hostAddress: '127.0.0.1', transport: 'vsock',
      sockets: overrides.transport === 'relay' ? [files.socket] : [files.socket, guestSocket], maxPorts: 4, serialLog: join(dir, 'guest.log'), testMode: false, pingWarningSeconds: 60, ...overrides
    }
    await writeFile(config.serialLog, '')
    await writeBridgeConfig(files.config, config)
    const logPath = join(dir, 'bridge.log')
    const bridge: TestBridge = {
      dir, config, hostSocket: files.socket, guestSocket,
      identity: (await startBridge(dir, logPath)).identity,
      client: (socket = guestSocket) => {
        const client = BridgeTestClient.unix(socket)
        clients.push(client)
        return client
      },
      state: async () => JSON.parse(await readFile(files.state, 'utf8')) as BridgeState,
      log: () => readFile(logPath, 'utf8'),
      restart: async () => {
        await stopBridge(bridge.identity)
        bridge.identity = (await startBridge(dir, logPath)).identity
      },
      stop: () => stopBridge(bridge.identity)
    }
    running.push(bridge)
    return bridge
  }
}

/** Polls `read` until `accept` holds or `timeoutMs` passes; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read().catch(() => undefined as T)
    if ((value !== undefined && accept(value)) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
