import { createRuntimeService } from './runtimeService'
import { workerPort } from './workerPort'

/**
 * The runtime worker: runs the runtime service for its parent (the Electron main process, or the
 * headless server), answers its calls and forwards every event. It exits on `shutdown` or when the
 * parent goes away; VMs live on, since each VMM runs in a session of its own.
 */
const port = workerPort()
const service = createRuntimeService()
service.onEvent((event, payload) => port.send({ type: 'event', event, payload }))

let stopping: Promise<void> | undefined
function stop(): Promise<void> {
  stopping ??= service
    .close()
    .catch((error: unknown) => console.error('closing the runtime service failed', error))
    .finally(() => process.exit(0))
  return stopping
}

port.onMessage((message) => {
  if (message.type === 'shutdown') void stop()
  else if (message.type === 'call') void service.call(message.channel, message.request).then((result) => port.send({ type: 'result', id: message.id, result }))
})
port.onParentGone(() => void stop())
port.send({ type: 'ready' })
