// Loaded with --import into every utility process the electron stub starts: gives the worker
// `process.parentPort` as Electron's utility processes have it (messages arrive as `{ data }`,
// postMessage structured-clones and throws on what it cannot clone) and ends it with its parent.
// With BPVM_STUB_UNCLONEABLE_ANSWER=<channel>, the answer to that channel carries a function, as a
// result the real postMessage cannot clone would.
import { EventEmitter } from 'node:events'

const parentPort = new EventEmitter()
const send = process.send.bind(process)
const uncloneable = process.env.BPVM_STUB_UNCLONEABLE_ANSWER
const callChannels = new Map()

process.on('message', (data) => {
  if (data?.type === 'call') callChannels.set(data.id, data.channel)
  parentPort.emit('message', { data })
})
parentPort.postMessage = (message) => {
  let outgoing = message
  if (uncloneable && message?.type === 'result' && message.result.ok && callChannels.get(message.id) === uncloneable) {
    outgoing = { ...message, result: { ok: true, value: { answer: message.result.value, describe: () => 'not cloneable' } } }
  }
  send(structuredClone(outgoing))
}
process.parentPort = parentPort
process.once('disconnect', () => process.exit(0))
