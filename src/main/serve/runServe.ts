import { createBackendProcess, nodeWorkerSpawner } from '../worker/backendProcess'
import { startApiServer } from './apiServer'
import { isLoopbackHost, parseServeOptions, remoteWarning } from './serveOptions'
import { builtRendererDir, requireBuiltRenderer } from './staticFiles'

export interface ServeFlags {
  host?: string
  port?: string
  allowRemote?: boolean
}

const cut = (line: string): string => (line.length > 300 ? `${line.slice(0, 300)}…` : line)

/** Resolves with the first SIGINT or SIGTERM; a second one ends the process at once. */
function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.once('SIGINT', () => process.exit(130))
      process.once('SIGTERM', () => process.exit(143))
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

/**
 * `bpvm serve`: the UI and its API for a browser, until SIGINT or SIGTERM. The runtime runs in
 * a child process, off the server's event loop; stopping the server stops that child and leaves
 * the VMs running, as quitting the desktop app with "leave" does.
 */
export async function runServe(flags: ServeFlags): Promise<void> {
  const options = parseServeOptions(flags)
  const rendererDir = requireBuiltRenderer(builtRendererDir())
  if (!isLoopbackHost(options.host)) process.stderr.write(`${remoteWarning(options.host)}\n`)
  const debug = process.env.BPVM_DEBUG ? (line: string) => process.stderr.write(`bpvm: debug: ${cut(line)}\n`) : undefined

  const backend = createBackendProcess(nodeWorkerSpawner())
  const stopped = untilStopSignal()
  let server: Awaited<ReturnType<typeof startApiServer>>
  try {
    server = await startApiServer(backend, { host: options.host, port: options.port, rendererDir, ...(debug ? { debug } : {}) })
  } catch (error) {
    await backend.close()
    throw error
  }
  // The only line on stdout, printed once: scripts read it to find the server.
  process.stdout.write(`${server.url}\n`)

  await stopped
  await server.close()
  await backend.close()
  process.stderr.write('bpvm: stopped serving; VMs keep running\n')
}
