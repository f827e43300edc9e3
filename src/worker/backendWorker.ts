import { createRuntimeService } from '../service/runtimeService'
import { serveCalls } from './workerDispatch'
import { workerPort } from './workerPort'

/**
 * The runtime worker: runs the runtime service for its parent (the Electron main process, or the
 * headless server), answers its calls and forwards every event. It exits on `shutdown` or when the
 * parent goes away; VMs live on, since each VMM runs in a session of its own.
 */
// The same under either host: Electron's utility process only warns, Node's child would crash
// (and drop every task mid-step). Every call is answered regardless (serveCalls).
process.on('unhandledRejection', (reason) => console.error('bpvm runtime: a failure nobody was waiting for', reason))

const port = workerPort()
const service = createRuntimeService()

let stopping: Promise<void> | undefined
function stop(): Promise<void> {
  stopping ??= service
    .close()
    .catch((error: unknown) => console.error('closing the runtime service failed', error))
    .finally(() => process.exit(0))
  return stopping
}

serveCalls(port, service)
port.onMessage((message) => {
  if (message.type === 'shutdown') void stop()
})
port.onParentGone(() => void stop())
port.send({ type: 'ready' })
