// A stand-in for qemu-system-x86_64: serves QMP on the socket its `-qmp` argument names and
// misbehaves as its first argument says. It never runs a guest, so its serial log stays empty.
import { createServer } from 'node:net'

const [mode, ...args] = process.argv.slice(2)
const qmp = args[args.indexOf('-qmp') + 1] ?? ''
const path = /^unix:((?:[^,]|,,)*)/.exec(qmp)?.[1]?.replaceAll(',,', ',')
if (!path) {
  process.stderr.write(`no -qmp unix: socket in ${args.join(' ')}\n`)
  process.exit(2)
}

const send = (socket, message) => socket.write(`${JSON.stringify(message)}\r\n`)

// `slow-capabilities-MS`: answers qmp_capabilities after MS, as a QEMU still realizing its
// devices on a busy host does.
const slowCapabilitiesMs = Number(/^slow-capabilities-(\d+)$/.exec(mode)?.[1] ?? 0)

function answer(socket, message) {
  if (message.execute === 'qmp_capabilities' && slowCapabilitiesMs > 0) {
    setTimeout(() => reply(socket, message), slowCapabilitiesMs)
    return
  }
  reply(socket, message)
}

function reply(socket, { execute, id }) {
  if (execute === 'qmp_capabilities' && mode === 'die-on-capabilities') {
    process.stderr.write('qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n')
    process.exit(1)
  }
  const replies = {
    'query-status': { status: 'paused', running: false, singlestep: false },
    'query-chardev': [{ label: 'serial0', filename: 'pty:/dev/pts/99', 'frontend-open': false }]
  }
  send(socket, { return: replies[execute] ?? {}, id })
  if (execute === 'quit' && mode !== 'ignore-quit') process.exit(0)
}

createServer((socket) => {
  send(socket, { QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'fake' }, capabilities: [] } })
  let buffered = ''
  socket.on('data', (chunk) => {
    buffered += chunk.toString()
    let end
    while ((end = buffered.indexOf('\n')) >= 0) {
      answer(socket, JSON.parse(buffered.slice(0, end)))
      buffered = buffered.slice(end + 1)
    }
  })
}).listen(path)

if (mode === 'exit-soon') {
  setTimeout(() => {
    process.stderr.write('qemu-system-x86_64: terminating: the guest tripped over itself\n')
    process.exit(3)
  }, 300)
}
